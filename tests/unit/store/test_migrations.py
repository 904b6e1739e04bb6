"""Migrations are the only source of the schema, and they match the models exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from ciam_oidc.store.base import Base
from ciam_oidc.store.database import Database
from ciam_oidc.store.migrations import alembic_config, current_revision, head_revision, upgrade


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_migrated_schema_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_downgrade_to_nothing_and_back_up(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "base"))
    assert await current_revision(database) is None
    assert await upgrade(database) == (None, head_revision())
    assert await current_revision(database) == head_revision()


async def test_upgrading_a_current_schema_changes_nothing(database: Database) -> None:
    assert await upgrade(database) == (head_revision(), head_revision())
