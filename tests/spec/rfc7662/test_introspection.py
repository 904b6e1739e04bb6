"""RFC 7662 token introspection through POST /introspect, with the tokens POST /token issued."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from ciam_oidc.app import Provider
from ciam_oidc.protocol.introspection import metadata
from ciam_oidc.settings import Settings
from tests.spec.issued_tokens import (
    Party,
    expired_access_token,
    expired_refresh_token,
    introspect,
    machine_client,
    machine_token,
    refresh,
    revoke,
    user_tokens,
    web_client,
)

INACTIVE = {"active": False}


async def introspection(
    http: httpx.AsyncClient, party: Party, token: str, **fields: str
) -> dict[str, Any]:
    """§2.2: a JSON object, never cached."""
    response = await introspect(http, party, token, **fields)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


async def access_token_claims(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set((await http.get("/jwks")).json())
    algorithms = sorted({str(key.alg) for key in keys})
    claims: dict[str, Any] = jwt.decode(token, keys, algorithms=algorithms).claims
    return claims


async def test_an_active_access_token_is_described_by_its_claims(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str, settings: Settings
) -> None:
    tokens = await user_tokens(http, provider, rp, sub)
    claims = await access_token_claims(http, tokens["access_token"])

    assert await introspection(http, rp, tokens["access_token"]) == {
        "active": True,
        "scope": "openid email offline_access",
        "client_id": rp.client_id,
        "sub": sub,
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": settings.issuer,
        "aud": settings.issuer,
        "jti": claims["jti"],
        "token_type": "Bearer",
    }


async def test_a_machine_access_token_is_about_the_client_itself(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    machine = await machine_client(provider)
    described = await introspection(http, machine, await machine_token(http, machine))
    assert described["active"] is True
    assert described["sub"] == described["client_id"] == machine.client_id
    assert described["scope"] == "invoices:read"


async def test_an_active_refresh_token_is_described_by_its_record(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str, settings: Settings
) -> None:
    tokens = await user_tokens(http, provider, rp, sub)
    described = await introspection(http, rp, tokens["refresh_token"])
    assert described == {
        "active": True,
        "scope": "openid email offline_access",
        "client_id": rp.client_id,
        "sub": sub,
        "exp": described["iat"] + settings.refresh_token_ttl,
        "iat": described["iat"],
        "token_type": "refresh_token",
    }
    access_claims = await access_token_claims(http, tokens["access_token"])
    assert abs(described["iat"] - access_claims["iat"]) <= 1


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "id_token"])
async def test_the_hint_only_orders_the_search(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str, hint: str
) -> None:
    """§2.1: a token not found as hinted is looked for among the other types."""
    tokens = await user_tokens(http, provider, rp, sub)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert (await introspection(http, rp, token, token_type_hint=hint))["active"] is True


async def test_another_client_s_tokens_are_inactive_to_it(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """§4: the server may limit what a caller learns; a token of another client is answered
    exactly as an unknown one, and stays active for its own client."""
    tokens = await user_tokens(http, provider, rp, sub)
    machine = await machine_client(provider)
    machine_access = await machine_token(http, machine)
    other = await web_client(provider, name="Other shop")

    for token in (tokens["access_token"], tokens["refresh_token"], machine_access):
        assert await introspection(http, other, token) == INACTIVE
    assert (await introspection(http, rp, tokens["access_token"]))["active"] is True
    assert (await introspection(http, machine, machine_access))["active"] is True


@pytest.mark.parametrize("token", ["no-such-token", "a.b.c", "x" * 5000])
async def test_an_unknown_token_is_inactive(
    http: httpx.AsyncClient, provider: Provider, token: str
) -> None:
    assert await introspection(http, await machine_client(provider), token) == INACTIVE


async def test_an_id_token_is_not_an_active_access_token(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    tokens = await user_tokens(http, provider, rp, sub)
    assert await introspection(http, rp, tokens["id_token"]) == INACTIVE


async def test_an_expired_access_token_is_inactive(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    machine = await machine_client(provider)
    assert await introspection(http, machine, await expired_access_token(provider, machine)) == (
        INACTIVE
    )


async def test_an_expired_refresh_token_is_inactive(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    expired = await expired_refresh_token(provider, rp, sub)
    assert await introspection(http, rp, expired) == INACTIVE


async def test_a_rotated_refresh_token_is_inactive_and_its_successor_active(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    tokens = await user_tokens(http, provider, rp, sub)
    renewed = (await refresh(http, rp, tokens["refresh_token"])).json()
    assert await introspection(http, rp, tokens["refresh_token"]) == INACTIVE
    assert (await introspection(http, rp, renewed["refresh_token"]))["active"] is True


async def test_refresh_token_reuse_makes_the_whole_grant_inactive(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """RFC 9700 §4.14.2: a retired refresh token used again revokes the grant."""
    tokens = await user_tokens(http, provider, rp, sub)
    renewed = (await refresh(http, rp, tokens["refresh_token"])).json()
    assert (await refresh(http, rp, tokens["refresh_token"])).status_code == 400
    for token in (tokens["access_token"], renewed["access_token"], renewed["refresh_token"]):
        assert await introspection(http, rp, token) == INACTIVE


async def test_revoked_tokens_are_inactive(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    first = await user_tokens(http, provider, rp, sub)
    second = await user_tokens(http, provider, rp, sub)
    assert (await revoke(http, rp, first["access_token"])).status_code == 200
    assert (await revoke(http, rp, second["refresh_token"])).status_code == 200

    assert await introspection(http, rp, first["access_token"]) == INACTIVE
    assert (await introspection(http, rp, first["refresh_token"]))["active"] is True
    assert await introspection(http, rp, second["access_token"]) == INACTIVE
    assert await introspection(http, rp, second["refresh_token"]) == INACTIVE


async def test_a_public_client_may_not_introspect(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    """§2.1: the caller must be authorized; a client_id alone proves nothing."""
    spa = await web_client(provider, name="SPA", token_endpoint_auth_method="none")
    tokens = await user_tokens(http, provider, spa, sub)
    response = await introspect(http, spa, tokens["access_token"])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_metadata_names_the_endpoint_and_its_authentication_methods() -> None:
    assert metadata("https://id.example.com", "/introspect") == {
        "introspection_endpoint": "https://id.example.com/introspect",
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
        ],
        "introspection_endpoint_auth_signing_alg_values_supported": [
            "RS256",
            "PS256",
            "ES256",
            "Ed25519",
            "HS256",
            "HS384",
            "HS512",
        ],
    }
