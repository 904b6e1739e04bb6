"""Emailed sign-in links and the dev mailbox.

Revision ID: 0009_mail_links
Revises: 0008_passkeys
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ciam_oidc.store.base import UTCDateTime

revision = "0009_mail_links"
down_revision = "0008_passkeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "magic_links",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(64), nullable=False),
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("device_digest", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_magic_links")),
    )
    op.create_table(
        "dev_mailbox",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("to", sa.String(254), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dev_mailbox")),
    )
    op.create_index(op.f("ix_dev_mailbox_created_at"), "dev_mailbox", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dev_mailbox_created_at"), table_name="dev_mailbox")
    op.drop_table("dev_mailbox")
    op.drop_table("magic_links")
