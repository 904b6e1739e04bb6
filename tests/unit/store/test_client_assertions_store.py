"""Used assertion jtis and the assertion columns of clients, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from joserfc.jwk import ECKey

from ciam_oidc.app import Provider
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.store.client_assertions import SqlAssertionReplayStore
from ciam_oidc.store.database import Database

EXPIRES_AT = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


@pytest.fixture
async def databases(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two nodes' connections to one database."""
    one, two = Database(database_url), Database(database_url)
    yield one, two
    await one.dispose()
    await two.dispose()


async def test_a_jti_is_spent_once_per_client(databases: tuple[Database, Database]) -> None:
    store = SqlAssertionReplayStore(databases[0])
    assert await store.spend_assertion_jti("client-a", "jti-1", EXPIRES_AT)
    assert not await store.spend_assertion_jti("client-a", "jti-1", EXPIRES_AT)
    assert not await store.spend_assertion_jti("client-a", "jti-1", EXPIRES_AT + timedelta(1))
    assert await store.spend_assertion_jti("client-b", "jti-1", EXPIRES_AT)
    assert await store.spend_assertion_jti("client-a", "jti-2", EXPIRES_AT)


async def test_two_nodes_spending_one_jti_at_once_succeed_once(
    databases: tuple[Database, Database],
) -> None:
    stores = [SqlAssertionReplayStore(database) for database in databases]
    for n in range(5):
        results = await asyncio.gather(
            *(store.spend_assertion_jti("client-a", f"jti-{n}", EXPIRES_AT) for store in stores)
        )
        assert sorted(results) == [False, True]


async def test_assertion_credentials_round_trip_with_the_client(provider: Provider) -> None:
    jwks = {"keys": [ECKey.generate_key("P-256", parameters={"kid": "k"}).as_dict(private=False)]}
    with_keys, _ = register_client(
        ClientRequest(
            name="Keys",
            grant_types=("client_credentials",),
            token_endpoint_auth_method="private_key_jwt",
            jwks=jwks,
        ),
        EXPIRES_AT,
    )
    with_secret, _ = register_client(
        ClientRequest(
            name="Secret",
            grant_types=("client_credentials",),
            token_endpoint_auth_method="client_secret_jwt",
        ),
        EXPIRES_AT,
        secret_box=provider.client_secrets,
    )
    for client in (with_keys, with_secret):
        await provider.clients.add_client(client)
        assert await provider.clients.get_client(client.client_id) == client
