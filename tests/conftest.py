"""Shared fixtures: a fresh, migrated database per test on SQLite and on a real PostgreSQL.

Each backend is migrated once per session into a template (a file for SQLite, a template
database for PostgreSQL) and every test gets its own copy, which costs milliseconds, so tests
never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI

from ciam_oidc.app import Provider, build_provider, create_app
from ciam_oidc.settings import Settings
from ciam_oidc.store.database import Database
from ciam_oidc.store.migrations import upgrade
from tests.support.postgres import ENV_URL, throwaway_postgres

BACKENDS = ("sqlite", "postgresql")
TEST_SECRET = "test-master-secret-0123456789abcdef"
_TEMPLATE_DB = "ciam_template"


def _migrate(url: str) -> None:
    async def run() -> None:
        database = Database(url)
        try:
            await upgrade(database)
        finally:
            await database.dispose()

    asyncio.run(run())


def _asyncpg_dsn(server_url: str, database: str) -> str:
    return server_url.replace("postgresql+asyncpg://", "postgresql://") + f"/{database}"


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(server_url, "postgres"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def drop_database(server_url: str, name: str) -> None:
    """Drop a database even while connections are open, as an outage would end them."""
    await _admin(server_url, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read CIAM_* variables: none from the caller's shell may leak into a test."""
    for name in list(os.environ):
        if name.startswith("CIAM_") and name != ENV_URL:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL for the session, holding a migrated template database."""
    with throwaway_postgres() as server_url:
        asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {_TEMPLATE_DB}"))
        asyncio.run(_admin(server_url, f"CREATE DATABASE {_TEMPLATE_DB}"))
        _migrate(f"{server_url}/{_TEMPLATE_DB}")
        yield server_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ciam.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    return path


def fresh_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A migrated database nobody else uses, on the given backend."""
    if backend == "sqlite":
        path = tmp_path / "ciam.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    server_url: str = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:16]}"
    asyncio.run(_admin(server_url, f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE_DB}"))
    return f"{server_url}/{name}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database_url(request, request.param, tmp_path)


@pytest.fixture
def postgres_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For tests about PostgreSQL itself (outages, several nodes on one database)."""
    return fresh_database_url(request, "postgresql", tmp_path)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the settings its tests run with."""
    return {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, settings_overrides: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "data_dir": tmp_path / "var",
        **settings_overrides,
    }
    return Settings(**values)


@pytest.fixture
async def provider(settings: Settings) -> AsyncIterator[Provider]:
    provider = build_provider(settings)
    await provider.ensure_ready()
    try:
        yield provider
    finally:
        await provider.close()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The application with its lifespan run, as a server would start it."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


# -- a per-backend tally at the end of the run, so the output shows both backends ran --------

_tally: dict[str, Counter[str]] = {backend: Counter() for backend in BACKENDS}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        parameters = report.nodeid.partition("[")[2].rstrip("]").split("-")
        for backend in BACKENDS:
            if backend in parameters:
                _tally[backend][report.outcome] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.section("storage backends")
    for backend, outcomes in _tally.items():
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        terminalreporter.write_line(f"{backend}: {counts or 'no tests'}")
