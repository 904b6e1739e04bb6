"""Per-client sign-in policies.

Revision ID: 0006_client_policies
Revises: 0005_credential_failures
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_client_policies"
down_revision = "0005_credential_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("first_factors", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("second_factors", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("require_mfa", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("require_mfa")
        batch.drop_column("second_factors")
        batch.drop_column("first_factors")
