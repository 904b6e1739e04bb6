"""Liveness and readiness as a load balancer sees them."""

from __future__ import annotations

from alembic import command
from fastapi import FastAPI

from ciam_oidc.app import create_app
from ciam_oidc.settings import Settings
from ciam_oidc.store.database import Database
from ciam_oidc.store.migrations import alembic_config
from tests.conftest import TEST_SECRET, drop_database
from tests.spec.http import http_client


async def test_a_migrated_node_is_alive_and_ready(app: FastAPI, settings: Settings) -> None:
    async with http_client(app, settings.issuer) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.headers["cache-control"] == "no-store"


async def test_a_node_behind_the_schema_is_alive_but_not_ready(
    app: FastAPI, settings: Settings
) -> None:
    database = Database(settings.database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "base"))
    await database.dispose()
    async with http_client(app, settings.issuer) as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert "schema" in ready.json()["reason"]


async def test_a_node_whose_database_is_gone_is_alive_but_not_ready(
    postgres_database_url: str,
) -> None:
    url = postgres_database_url
    application = create_app(Settings(database_url=url, secret_key=TEST_SECRET))
    async with application.router.lifespan_context(application):
        server_url, _, name = url.rpartition("/")
        await drop_database(server_url, name)
        async with http_client(application, "http://localhost:8000") as http:
            assert (await http.get("/healthz")).status_code == 200
            ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["reason"] == "database unreachable"  # no host or user for strangers
