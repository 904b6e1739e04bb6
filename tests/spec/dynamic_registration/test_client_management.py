"""RFC 7592: a registered client reads, replaces and deletes its registration with the
registration access token it was given, and with nothing else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.store.grants import SqlGrantStore
from tests.spec.dynamic_registration.conftest import REGISTER, assert_error, register, web_app


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"client_registration": "open"}


@pytest.fixture
async def registered(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await register(http, web_app(contacts=["dev@shop.example"]))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def manage_url(client: dict[str, Any]) -> str:
    return str(client["registration_client_uri"])


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_read_returns_the_registration_without_the_secret(
    http: httpx.AsyncClient, registered: dict[str, Any]
) -> None:
    token = registered["registration_access_token"]
    response = await http.get(manage_url(registered), headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    secretless = {
        name: value
        for name, value in registered.items()
        if name not in ("client_secret", "client_secret_expires_at")
    }
    assert response.json() == secretless


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_every_management_request_needs_the_clients_own_token(
    http: httpx.AsyncClient, registered: dict[str, Any], method: str
) -> None:
    other = (await register(http, web_app())).json()
    body = web_app(client_id=registered["client_id"])
    for headers in ({}, bearer("made-up"), bearer(other["registration_access_token"])):
        response = await http.request(method, manage_url(registered), headers=headers, json=body)
        assert_invalid_token(response)


async def test_a_client_the_operator_created_cannot_be_managed(
    http: httpx.AsyncClient, provider: Provider, registered: dict[str, Any]
) -> None:
    """RFC 7592 §2.1: an unknown client answers 401 like a wrong token, and so does one
    created through the CLI, which has no registration access token."""
    client, _ = register_client(
        ClientRequest(name="CLI", grant_types=("client_credentials",)), utc_now()
    )
    await provider.clients.add_client(client)
    token = bearer(registered["registration_access_token"])
    for client_id in (client.client_id, "no-such-client"):
        assert_invalid_token(await http.get(f"{REGISTER}/{client_id}", headers=token))


async def test_update_replaces_the_metadata_and_keeps_id_secret_and_token(
    http: httpx.AsyncClient, registered: dict[str, Any]
) -> None:
    token = registered["registration_access_token"]
    replacement = {
        "client_id": registered["client_id"],
        "client_secret": registered["client_secret"],
        "client_name": "Shop, renamed",
        "redirect_uris": ["https://shop.example/new-callback"],
    }
    response = await http.put(manage_url(registered), headers=bearer(token), json=replacement)

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["client_name"] == "Shop, renamed"
    assert updated["redirect_uris"] == ["https://shop.example/new-callback"]
    assert "contacts" not in updated  # RFC 7592 §2.2: left out means removed
    assert updated["client_id_issued_at"] == registered["client_id_issued_at"]
    assert updated["registration_access_token"] == token
    read = await http.get(manage_url(registered), headers=bearer(token))
    assert read.json() == updated
    still_works = await http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "https://a.b"},
        auth=(registered["client_id"], registered["client_secret"]),
    )
    assert still_works.json()["error"] == "invalid_grant"  # authenticated, then refused


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "someone-else"},
        {"client_secret": "not-the-secret"},
        {"token_endpoint_auth_method": "client_secret_post"},
        {"client_id": None},
        {"registration_access_token": "reg-token"},
        {"client_id_issued_at": 0},
    ],
)
async def test_update_refuses_another_identity_or_secret(
    http: httpx.AsyncClient, registered: dict[str, Any], change: dict[str, Any]
) -> None:
    body = web_app(client_id=registered["client_id"]) | change
    token = registered["registration_access_token"]
    response = await http.put(manage_url(registered), headers=bearer(token), json=body)
    assert_error(response, "invalid_client_metadata")


async def test_update_applies_the_registration_rules(
    http: httpx.AsyncClient, registered: dict[str, Any]
) -> None:
    body = web_app(client_id=registered["client_id"], redirect_uris=["http://shop.example/cb"])
    token = registered["registration_access_token"]
    response = await http.put(manage_url(registered), headers=bearer(token), json=body)
    assert_error(response, "invalid_redirect_uri")


async def test_delete_removes_the_client_and_revokes_its_grants(
    http: httpx.AsyncClient, provider: Provider, registered: dict[str, Any], sub: str
) -> None:
    grants = SqlGrantStore(provider.database)
    await grants.create_grant("grant-1", registered["client_id"], sub, utc_now())
    token = bearer(registered["registration_access_token"])

    response = await http.delete(manage_url(registered), headers=token)

    assert response.status_code == 204, response.text
    assert not await grants.grant_is_active("grant-1")
    assert_invalid_token(await http.get(manage_url(registered), headers=token))
    refused = await http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "https://a.b"},
        auth=(registered["client_id"], registered["client_secret"]),
    )
    assert refused.json()["error"] == "invalid_client"
