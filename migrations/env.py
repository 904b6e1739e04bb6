"""Alembic environment: runs on the connection `ciam-oidc migrate` hands over.

`ciam_oidc.store.migrations` opens an async connection and passes its sync facade in
`config.attributes["connection"]`, so the same revisions run unchanged on SQLite and PostgreSQL.
Run through `ciam-oidc migrate`; `alembic revision` works from the repository root too.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from ciam_oidc.settings import load_settings
from ciam_oidc.store import (  # noqa: F401  (register the tables)
    audit,
    client_assertions,
    client_registration,
    clients,
    consents,
    credential_failures,
    grants,
    keys,
    login_flows,
    logout_deliveries,
    mail_links,
    mailbox,
    passkeys,
    password_resets,
    registrations,
    request_counts,
    revoked_tokens,
    sessions,
    totp,
    upstreams,
    users,
)
from ciam_oidc.store.base import Base
from ciam_oidc.store.database import Database


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    database = Database(load_settings().database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await database.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    asyncio.run(_run_from_settings())
