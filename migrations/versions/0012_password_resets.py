"""Password reset links and email change confirmations.

Revision ID: 0012_password_resets
Revises: 0011_registrations
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0012_password_resets"
down_revision = "0011_registrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sub"], ["users.sub"], name=op.f("fk_password_resets_sub_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_password_resets")),
    )
    op.create_index(op.f("ix_password_resets_sub"), "password_resets", ["sub"])
    op.create_table(
        "email_changes",
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sub"], ["users.sub"], name=op.f("fk_email_changes_sub_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sub", name=op.f("pk_email_changes")),
    )


def downgrade() -> None:
    op.drop_table("email_changes")
    op.drop_index(op.f("ix_password_resets_sub"), table_name="password_resets")
    op.drop_table("password_resets")
