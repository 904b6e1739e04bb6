"""Pending registrations awaiting email verification.

Revision ID: 0011_registrations
Revises: 0010_audit_events
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0011_registrations"
down_revision = "0010_audit_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_registrations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("terms_version", sa.Text(), nullable=True),
        sa.Column("terms_accepted_at", UTCDateTime(), nullable=True),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_registrations")),
    )
    op.create_index(
        op.f("ix_pending_registrations_expires_at"), "pending_registrations", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_registrations_expires_at"), table_name="pending_registrations")
    op.drop_table("pending_registrations")
