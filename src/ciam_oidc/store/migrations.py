"""Schema changes go through alembic only; this module runs them and reports where we stand."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from ciam_oidc.store.database import Database


def migrations_dir() -> Path:
    """Bundled in the wheel as `_migrations`; in a source checkout, the top-level folder."""
    bundled = Path(__file__).resolve().parent.parent / "_migrations"
    return bundled if bundled.is_dir() else Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


async def upgrade(database: Database) -> tuple[str | None, str]:
    """Migrate to the newest revision; return (revision before, revision after)."""
    async with database.engine.begin() as connection:
        before = await connection.run_sync(_current)
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
    return before, head_revision()


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(_current)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
