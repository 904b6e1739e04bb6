"""The client cache answers from memory within its lifetime and asks storage after it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ciam_oidc.protocol.client_cache import CachedClientStore
from ciam_oidc.protocol.clients import Client, ClientRequest, register_client
from ciam_oidc.store.clients import SqlClientStore
from ciam_oidc.store.database import Database

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def machine(name: str = "Job") -> Client:
    client, _ = register_client(ClientRequest(name=name, grant_types=("client_credentials",)), NOW)
    return client


async def test_a_change_made_elsewhere_shows_once_the_cache_expires(database: Database) -> None:
    """Another node (or the CLI) changes the stored client behind this node's cache."""
    elsewhere, here = SqlClientStore(database), CachedClientStore(SqlClientStore(database), 0.2)
    client = machine()
    await elsewhere.add_client(client)
    assert await here.get_client(client.client_id) == client
    await elsewhere.delete_client(client.client_id)
    await elsewhere.add_client(replace(client, name="Renamed"))
    assert (await here.get_client(client.client_id)) == client
    await asyncio.sleep(0.25)
    renamed = await here.get_client(client.client_id)
    assert renamed is not None
    assert renamed.name == "Renamed"


async def test_a_miss_is_remembered_too_but_not_past_a_local_registration(
    database: Database,
) -> None:
    here = CachedClientStore(SqlClientStore(database), 60)
    client = machine()
    assert await here.get_client(client.client_id) is None
    await here.add_client(client)
    assert await here.get_client(client.client_id) == client


async def test_a_local_deletion_takes_effect_at_once(database: Database) -> None:
    here = CachedClientStore(SqlClientStore(database), 60)
    client = machine()
    await here.add_client(client)
    assert await here.get_client(client.client_id) == client
    assert await here.delete_client(client.client_id)
    assert await here.get_client(client.client_id) is None
