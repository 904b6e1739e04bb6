"""Client metadata for dynamic registration, request objects, pairwise subjects and logout
channels; initial access tokens; back-channel logout deliveries.

Revision ID: 0015_conformance
Revises: 0014_federation
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0015_conformance"
down_revision = "0014_federation"
branch_labels = None
depends_on = None

_TEXT = (
    "jwks_uri",
    "sector_identifier_uri",
    "initiate_login_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
    "frontchannel_logout_uri",
    "backchannel_logout_uri",
)
_ALGS = (
    "userinfo_signed_response_alg",
    "request_object_signing_alg",
    "token_endpoint_auth_signing_alg",
)
_LISTS = ("request_uris", "default_acr_values", "contacts")
_FLAGS = (
    "require_auth_time",
    "frontchannel_logout_session_required",
    "backchannel_logout_session_required",
)


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        for name in _TEXT:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
        for name in _ALGS:
            batch.add_column(sa.Column(name, sa.String(16), nullable=True))
        for name in _LISTS:
            batch.add_column(sa.Column(name, sa.JSON(), nullable=True))
        for name in _FLAGS:
            batch.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
        batch.add_column(
            sa.Column("subject_type", sa.String(16), server_default="public", nullable=False)
        )
        batch.add_column(sa.Column("default_max_age", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("registration_token_digest", sa.String(64), nullable=True))
    # Existing clients have none of the lists yet: empty, then required.
    clients = sa.table("clients", *(sa.column(name, sa.JSON()) for name in _LISTS))
    op.execute(clients.update().values({name: [] for name in _LISTS}))
    with op.batch_alter_table("clients") as batch:
        for name in _LISTS:
            batch.alter_column(name, existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("grants") as batch:
        batch.add_column(sa.Column("session_id", sa.String(64), nullable=True))
        batch.create_index(batch.f("ix_grants_session_id"), ["session_id"])
    op.create_table(
        "initial_access_tokens",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_initial_access_tokens")),
    )
    op.create_table(
        "logout_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("logout_token", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logout_deliveries")),
    )
    op.create_index(
        op.f("ix_logout_deliveries_next_attempt_at"), "logout_deliveries", ["next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_logout_deliveries_next_attempt_at"), table_name="logout_deliveries")
    op.drop_table("logout_deliveries")
    op.drop_table("initial_access_tokens")
    with op.batch_alter_table("grants") as batch:
        batch.drop_index(batch.f("ix_grants_session_id"))
        batch.drop_column("session_id")
    with op.batch_alter_table("clients") as batch:
        for name in (*_TEXT, *_ALGS, *_LISTS, *_FLAGS):
            batch.drop_column(name)
        for name in ("subject_type", "default_max_age", "registration_token_digest"):
            batch.drop_column(name)
