"""Failed sign-in counters for the login throttle.

Revision ID: 0005_credential_failures
Revises: 0004_client_assertions
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0005_credential_failures"
down_revision = "0004_client_assertions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_failures",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("window_started_at", UTCDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_credential_failures")),
    )


def downgrade() -> None:
    op.drop_table("credential_failures")
