"""RFC 6749 §4.4 client credentials, with RFC 9068 JWT access tokens, through POST /token."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet

from ciam_oidc.app import Provider
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.settings import Settings

MACHINE = ClientRequest(
    name="Billing job", grant_types=("client_credentials",), scope="invoices:read invoices:write"
)


async def registered(app: FastAPI, request: ClientRequest = MACHINE) -> tuple[str, str]:
    provider: Provider = app.state.provider
    client, secret = register_client(request, provider.keyring._clock())
    await provider.clients.add_client(client)
    assert secret is not None
    return client.client_id, secret


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def token_request(
    http: httpx.AsyncClient, form: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await http.post("/token", data=form, headers=headers or {})


def assert_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


async def test_machine_client_gets_a_jwt_access_token_verifiable_through_the_jwks(
    app: FastAPI, http: httpx.AsyncClient, settings: Settings
) -> None:
    client_id, secret = await registered(app)
    response = await token_request(
        http, {"grant_type": "client_credentials"}, basic(client_id, secret)
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert body["scope"] == "invoices:read invoices:write"
    assert "refresh_token" not in body  # RFC 6749 §4.4.3

    keys = KeySet.import_key_set((await http.get("/jwks")).json())
    token = jwt.decode(body["access_token"], keys, algorithms=[settings.access_token_signing_alg])
    assert token.header["typ"] == "at+jwt"  # RFC 9068 §2.1
    claims: dict[str, Any] = token.claims
    assert claims["iss"] == settings.issuer
    assert claims["sub"] == claims["client_id"] == client_id  # RFC 9068 §2.2
    assert claims["aud"]
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl
    assert claims["jti"]


async def test_client_secret_post_works_when_registered(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    request = ClientRequest(
        **{**MACHINE.__dict__, "token_endpoint_auth_method": "client_secret_post"}
    )
    client_id, secret = await registered(app, request)
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert (await token_request(http, form)).status_code == 200


async def test_a_subset_of_the_registered_scope_may_be_requested(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, secret = await registered(app)
    form = {"grant_type": "client_credentials", "scope": "invoices:read"}
    response = await token_request(http, form, basic(client_id, secret))
    assert response.json()["scope"] == "invoices:read"


async def test_scope_beyond_the_registration_is_invalid_scope(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, secret = await registered(app)
    form = {"grant_type": "client_credentials", "scope": "invoices:read admin"}
    assert_error(await token_request(http, form, basic(client_id, secret)), 400, "invalid_scope")


async def test_wrong_secret_and_unknown_client_look_the_same(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §5.2: 401 with a challenge; no hint whether the client exists."""
    client_id, secret = await registered(app)
    form = {"grant_type": "client_credentials"}
    wrong = await token_request(http, form, basic(client_id, secret + "x"))
    unknown = await token_request(http, form, basic("no-such-client", secret))
    for response in (wrong, unknown):
        assert_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic")
    assert wrong.json() == unknown.json()


async def test_a_method_other_than_the_registered_one_is_refused(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, secret = await registered(app)
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert_error(await token_request(http, form), 401, "invalid_client")


async def test_two_authentication_methods_at_once_are_refused(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §2.3: a client MUST NOT use more than one method in a request."""
    client_id, secret = await registered(app)
    form = {"grant_type": "client_credentials", "client_secret": secret}
    assert_error(await token_request(http, form, basic(client_id, secret)), 400, "invalid_request")


async def test_a_client_not_registered_for_the_grant_is_unauthorized(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    web = ClientRequest(name="Web", redirect_uris=("https://app.example/cb",))
    client_id, secret = await registered(app, web)
    form = {"grant_type": "client_credentials"}
    assert_error(
        await token_request(http, form, basic(client_id, secret)), 400, "unauthorized_client"
    )


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
)
async def test_missing_or_unknown_grant_type(
    app: FastAPI, http: httpx.AsyncClient, form: dict[str, str], error: str
) -> None:
    client_id, secret = await registered(app)
    assert_error(await token_request(http, form, basic(client_id, secret)), 400, error)


async def test_repeated_parameters_are_invalid_request(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §3.1: parameters MUST NOT be included more than once."""
    client_id, secret = await registered(app)
    response = await http.post(
        "/token",
        content="grant_type=client_credentials&scope=invoices:read&scope=invoices:write",
        headers={"Content-Type": "application/x-www-form-urlencoded", **basic(client_id, secret)},
    )
    assert_error(response, 400, "invalid_request")


async def test_a_json_body_is_invalid_request(app: FastAPI, http: httpx.AsyncClient) -> None:
    """RFC 6749 §3.2: the token endpoint takes application/x-www-form-urlencoded."""
    client_id, secret = await registered(app)
    response = await http.post(
        "/token", json={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    )
    assert_error(response, 400, "invalid_request")


async def test_discovery_advertises_the_token_endpoint_and_what_it_accepts(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    document = (await http.get("/.well-known/openid-configuration")).json()
    assert document["token_endpoint"] == settings.issuer + "/token"
    assert document["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
    ]
    assert "client_secret_basic" in document["token_endpoint_auth_methods_supported"]
