"""The storage contract, run unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ciam_oidc.app import Provider
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.protocol.ports import AlreadyExists
from ciam_oidc.protocol.users import UserRequest, new_user

NOW = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)


async def test_client_round_trips_unchanged(provider: Provider) -> None:
    client, _ = register_client(
        ClientRequest(
            name="Shop",
            redirect_uris=("https://shop.example/cb", "com.example.shop:/cb"),
            post_logout_redirect_uris=("https://shop.example/",),
            grant_types=("authorization_code", "refresh_token"),
            scope="openid email offline_access",
        ),
        NOW,
    )
    await provider.clients.add_client(client)
    assert await provider.clients.get_client(client.client_id) == client
    assert await provider.clients.list_clients() == [client]


async def test_client_ids_are_unique(provider: Provider) -> None:
    client, _ = register_client(ClientRequest(name="A", grant_types=("client_credentials",)), NOW)
    await provider.clients.add_client(client)
    with pytest.raises(AlreadyExists):
        await provider.clients.add_client(replace(client, name="B"))
    assert (await provider.clients.get_client(client.client_id)) == client


async def test_deleted_client_is_gone(provider: Provider) -> None:
    client, _ = register_client(ClientRequest(name="A", grant_types=("client_credentials",)), NOW)
    await provider.clients.add_client(client)
    assert await provider.clients.delete_client(client.client_id)
    assert await provider.clients.get_client(client.client_id) is None
    assert not await provider.clients.delete_client(client.client_id)


async def test_user_round_trips_with_aware_utc_times(provider: Provider) -> None:
    user = new_user(
        UserRequest(email="alice@example.com", email_verified=True, claims={"name": "Alice"}),
        "$argon2id$stub",
        NOW,
    )
    await provider.users.add_user(user)
    stored = await provider.users.get_user(user.sub)
    assert stored == user
    assert stored is not None
    assert stored.created_at.tzinfo is not None
    assert await provider.users.find_user_by_email("alice@example.com") == user


async def test_one_account_per_email(provider: Provider) -> None:
    await provider.users.add_user(new_user(UserRequest(email="a@example.com"), None, NOW))
    with pytest.raises(AlreadyExists):
        await provider.users.add_user(new_user(UserRequest(email="a@example.com"), None, NOW))
    assert len(await provider.users.list_users()) == 1


async def test_unknown_records_are_none(provider: Provider) -> None:
    assert await provider.clients.get_client("nope") is None
    assert await provider.users.get_user("nope") is None
    assert await provider.users.find_user_by_email("nobody@example.com") is None
