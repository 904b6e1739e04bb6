"""A registration from request to first token (RFC 7591 §3, OpenID Connect Dynamic Client
Registration 1.0 §3), and what the database keeps of it."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from ciam_oidc.app import Provider
from ciam_oidc.settings import Settings
from ciam_oidc.store.client_registration import InitialAccessTokenRow
from ciam_oidc.store.clients import ClientRow
from tests.spec.dynamic_registration.conftest import (
    REGISTER,
    DocumentServer,
    initial_token,
    register,
    web_app,
)
from tests.spec.rfc7523.test_client_assertions import (
    EC_KEY,
    AssertingClient,
    assert_token_for,
    public_jwks,
    token,
)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def test_a_private_key_jwt_client_registers_its_jwks_uri_and_gets_tokens(
    http: httpx.AsyncClient, provider: Provider, settings: Settings, client_site: DocumentServer
) -> None:
    jwks_uri = client_site.publish("/jwks.json", public_jwks(EC_KEY))
    response = await register(
        http,
        {
            "client_name": "Payroll job",
            "grant_types": ["client_credentials"],
            "scope": "payroll:read",
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "ES256",
            "jwks_uri": jwks_uri,
            "contacts": ["ops@payroll.example"],
        },
        token=await initial_token(provider),
    )

    assert response.status_code == 201, response.text
    body = response.json()
    client_id = body["client_id"]
    assert body["registration_client_uri"] == f"{settings.issuer}{REGISTER}/{client_id}"
    assert body["registration_access_token"]
    assert isinstance(body["client_id_issued_at"], int)
    assert "client_secret" not in body  # nothing shared with a private_key_jwt client
    assert body | {"client_id_issued_at": 0} == {
        "client_id": client_id,
        "client_id_issued_at": 0,
        "client_name": "Payroll job",
        "redirect_uris": [],
        "grant_types": ["client_credentials"],
        "response_types": [],
        "scope": "payroll:read",
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "id_token_signed_response_alg": "RS256",
        "subject_type": "public",
        "require_auth_time": False,
        "jwks_uri": jwks_uri,
        "contacts": ["ops@payroll.example"],
        "registration_access_token": body["registration_access_token"],
        "registration_client_uri": body["registration_client_uri"],
    }
    client = AssertingClient(client_id, EC_KEY, "ES256", settings.issuer + "/token")
    assert_token_for(await token(http, client.assertion()), client_id)


async def test_a_confidential_web_client_gets_a_secret_that_works_at_the_token_endpoint(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    response = await register(http, web_app(), token=await initial_token(provider))

    assert response.status_code == 201, response.text
    body = response.json()
    # RFC 7591 §3.2.1: 0, the secret does not expire; OIDC DCR §3.2: defaults are returned.
    assert body["client_secret_expires_at"] == 0
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert set(body["scope"].split()) >= {"openid", "profile", "email"}
    # Authenticated: the grant fails on the code, not on the client (RFC 6749 §5.2).
    refused = await http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "https://a.b"},
        auth=(body["client_id"], body["client_secret"]),
    )
    assert refused.json()["error"] == "invalid_grant"


async def test_secrets_and_tokens_are_stored_as_digests_only(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    initial = await initial_token(provider)
    body = (await register(http, web_app(), token=initial)).json()

    async with provider.database.sessions() as session:
        row = await session.get(ClientRow, body["client_id"])
        initial_digests = list(await session.scalars(select(InitialAccessTokenRow.digest)))
    assert row is not None
    assert row.secret_digest == sha256(body["client_secret"])
    assert row.registration_token_digest == sha256(body["registration_access_token"])
    assert initial_digests == [sha256(initial)]
    stored = repr([getattr(row, column.key) for column in ClientRow.__table__.columns])
    for secret in (body["client_secret"], body["registration_access_token"], initial):
        assert secret not in stored
