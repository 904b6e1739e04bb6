"""Audit events, the browser a session was started from, clients' registration switch and
branding.

Revision ID: 0010_audit_events
Revises: 0009_mail_links
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0010_audit_events"
down_revision = "0009_mail_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("sub", sa.String(64), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    for column in ("type", "occurred_at", "sub"):
        op.create_index(op.f(f"ix_audit_events_{column}"), "audit_events", [column])
    with op.batch_alter_table("browser_sessions") as batch:
        batch.add_column(sa.Column("user_agent", sa.String(255), server_default="", nullable=False))
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("allow_registration", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("logo_uri", sa.Text(), nullable=True))
        batch.add_column(sa.Column("brand_color", sa.String(7), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("brand_color")
        batch.drop_column("logo_uri")
        batch.drop_column("allow_registration")
    with op.batch_alter_table("browser_sessions") as batch:
        batch.drop_column("user_agent")
    op.drop_table("audit_events")
