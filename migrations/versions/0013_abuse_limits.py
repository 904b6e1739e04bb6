"""Progressive delays for failed sign-ins, and request counts per network.

Revision ID: 0013_abuse_limits
Revises: 0012_password_resets
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0013_abuse_limits"
down_revision = "0012_password_resets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Counts now lapse after a quiet window since the last attempt, not since the first.
    with op.batch_alter_table("credential_failures") as batch:
        batch.alter_column("window_started_at", new_column_name="last_attempt_at")
        batch.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
    # Counters already running keep their count and may try again at once.
    op.execute("UPDATE credential_failures SET next_attempt_at = last_attempt_at")
    with op.batch_alter_table("credential_failures") as batch:
        batch.alter_column("next_attempt_at", existing_type=UTCDateTime(), nullable=False)
    op.create_table(
        "request_counts",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("window_started_at", UTCDateTime(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_request_counts")),
    )


def downgrade() -> None:
    op.drop_table("request_counts")
    with op.batch_alter_table("credential_failures") as batch:
        batch.drop_column("next_attempt_at")
        batch.alter_column("last_attempt_at", new_column_name="window_started_at")
