"""Client assertions: sealed client_secret_jwt secrets, private_key_jwt public keys, used jtis.

Revision ID: 0004_client_assertions
Revises: 0003_revoked_access_tokens
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0004_client_assertions"
down_revision = "0003_revoked_access_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("sealed_secret", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("jwks", sa.JSON(), nullable=True))
    op.create_table(
        "client_assertion_jtis",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("jti", sa.String(255), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name=op.f("pk_client_assertion_jtis")),
    )
    op.create_index(
        op.f("ix_client_assertion_jtis_expires_at"), "client_assertion_jtis", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_client_assertion_jtis_expires_at"), table_name="client_assertion_jtis")
    op.drop_table("client_assertion_jtis")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("jwks")
        batch.drop_column("sealed_secret")
