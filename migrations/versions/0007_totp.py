"""TOTP credentials and recovery codes.

Revision ID: 0007_totp
Revises: 0006_client_policies
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0007_totp"
down_revision = "0006_client_policies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "totp_credentials",
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("pending_secret", sa.LargeBinary(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sub"],
            ["users.sub"],
            name=op.f("fk_totp_credentials_sub_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sub", name=op.f("pk_totp_credentials")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["sub"],
            ["totp_credentials.sub"],
            name=op.f("fk_recovery_codes_sub_totp_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sub", "digest", name=op.f("pk_recovery_codes")),
    )


def downgrade() -> None:
    op.drop_table("recovery_codes")
    op.drop_table("totp_credentials")
