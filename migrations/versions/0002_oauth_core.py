"""OAuth core: grants, codes, refresh tokens, consents, browser sessions, login flows.

Revision ID: 0002_oauth_core
Revises: 0001_foundation
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0002_oauth_core"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(
            sa.Column(
                "id_token_signed_response_alg",
                sa.String(16),
                nullable=False,
                server_default="RS256",
            )
        )
        batch.add_column(
            sa.Column("first_party", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "grants",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
    )
    op.create_index(op.f("ix_grants_client_id"), "grants", ["client_id"])
    op.create_index(op.f("ix_grants_sub"), "grants", ["sub"])
    op.create_table(
        "authorization_codes",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("grant_id", sa.String(64), nullable=False),
        sa.Column("authorization", sa.JSON(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("consumed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grants.id"],
            name=op.f("fk_authorization_codes_grant_id_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_authorization_codes")),
    )
    op.create_index(op.f("ix_authorization_codes_grant_id"), "authorization_codes", ["grant_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("grant_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("rotated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grants.id"],
            name=op.f("fk_refresh_tokens_grant_id_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(op.f("ix_refresh_tokens_grant_id"), "refresh_tokens", ["grant_id"])
    op.create_table(
        "consents",
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sub", "client_id", "scope", name=op.f("pk_consents")),
    )
    op.create_table(
        "browser_sessions",
        sa.Column("cookie_digest", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("authentication", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("cookie_digest", name=op.f("pk_browser_sessions")),
        sa.UniqueConstraint("id", name=op.f("uq_browser_sessions_id")),
    )
    op.create_index(op.f("ix_browser_sessions_sub"), "browser_sessions", ["sub"])
    op.create_table(
        "login_flows",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_flows")),
    )
    op.create_index(op.f("ix_login_flows_expires_at"), "login_flows", ["expires_at"])


def downgrade() -> None:
    op.drop_table("login_flows")
    op.drop_table("browser_sessions")
    op.drop_table("consents")
    op.drop_table("refresh_tokens")
    op.drop_table("authorization_codes")
    op.drop_table("grants")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("first_party")
        batch.drop_column("id_token_signed_response_alg")
