"""Revoked access tokens: the `jti`s RFC 7009 revocation ended before their `exp`.

Revision ID: 0003_revoked_access_tokens
Revises: 0002_oauth_core
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0003_revoked_access_tokens"
down_revision = "0002_oauth_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_access_tokens",
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_access_tokens")),
    )


def downgrade() -> None:
    op.drop_table("revoked_access_tokens")
