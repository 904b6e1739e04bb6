"""Upstream identity providers, identities linked through them, redirects in progress, and
each client's allow-list of upstreams.

Revision ID: 0014_federation
Revises: 0013_abuse_limits
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0014_federation"
down_revision = "0013_abuse_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upstreams",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("preset", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("authorization_endpoint", sa.Text(), nullable=True),
        sa.Column("token_endpoint", sa.Text(), nullable=True),
        sa.Column("userinfo_endpoint", sa.Text(), nullable=True),
        sa.Column("jwks_uri", sa.Text(), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("claim_map", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("icon_uri", sa.Text(), nullable=True),
        sa.Column("trust_email", sa.Boolean(), nullable=False),
        sa.Column("trust_authn", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstreams")),
    )
    op.create_table(
        "linked_identities",
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("upstream_id", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sub"],
            ["users.sub"],
            name=op.f("fk_linked_identities_sub_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_linked_identities")),
    )
    op.create_index(op.f("ix_linked_identities_sub"), "linked_identities", ["sub"])
    op.create_table(
        "upstream_redirects",
        sa.Column("state_digest", sa.String(64), nullable=False),
        sa.Column("upstream_id", sa.String(32), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("device_digest", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(64), nullable=True),
        sa.Column("sub", sa.String(64), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state_digest", name=op.f("pk_upstream_redirects")),
    )
    op.create_index(op.f("ix_upstream_redirects_expires_at"), "upstream_redirects", ["expires_at"])
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("upstreams", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("upstreams")
    op.drop_index(op.f("ix_upstream_redirects_expires_at"), table_name="upstream_redirects")
    op.drop_table("upstream_redirects")
    op.drop_index(op.f("ix_linked_identities_sub"), table_name="linked_identities")
    op.drop_table("linked_identities")
    op.drop_table("upstreams")
