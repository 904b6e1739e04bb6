"""RFC 6749 §6 refresh, with rotation and reuse detection (RFC 9700 §4.14.2), at POST /token."""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.secrets import digest_secret
from ciam_oidc.protocol.grants.refresh_token import issue_refresh_token
from ciam_oidc.settings import Settings
from ciam_oidc.store.grants import RefreshTokenRow
from tests.spec.rfc6749.test_authorization_code_grant import (
    NONCE,
    SHOP,
    a_user,
    at_hash,
    grant_store,
    mint_code,
    redeem,
    registered,
    verified_claims,
)
from tests.spec.rfc6749.test_client_credentials import assert_error

OFFLINE = ("openid", "profile", "offline_access")
BASE64URL = set(string.ascii_letters + string.digits + "-_")


def assert_opaque(token: str) -> None:
    """256 random bits, base64url: nothing in it but entropy (RFC 6749 §1.5, §10.10)."""
    assert len(token) >= 43, token
    assert set(token) <= BASE64URL, token  # no "." and so no record part


async def first_tokens(
    app: FastAPI, http: httpx.AsyncClient, headers: dict[str, str], client_id: str
) -> dict[str, str]:
    """The token response of a code exchange that granted offline access."""
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub, scope=OFFLINE)
    response = await redeem(http, headers, code)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def refresh(
    http: httpx.AsyncClient, headers: dict[str, str], token: str, scope: str | None = None
) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token}
    if scope is not None:
        form["scope"] = scope
    return await http.post("/token", data=form, headers=headers)


async def test_refresh_returns_new_tokens_and_a_new_refresh_token(
    app: FastAPI, http: httpx.AsyncClient, settings: Settings
) -> None:
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)

    response = await refresh(http, headers, first["refresh_token"])

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert body["scope"] == "openid profile offline_access"
    assert body["access_token"] != first["access_token"]
    assert body["refresh_token"] not in (None, first["refresh_token"])
    assert_opaque(first["refresh_token"])
    assert_opaque(body["refresh_token"])
    assert (await refresh(http, headers, body["refresh_token"])).status_code == 200


async def test_refresh_tokens_are_stored_only_as_their_digests(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)
    successor = (await refresh(http, headers, first["refresh_token"])).json()["refresh_token"]

    provider: Provider = app.state.provider
    async with provider.database.sessions() as session:
        rows = list(await session.scalars(select(RefreshTokenRow)))

    assert {row.digest for row in rows} == {
        digest_secret(first["refresh_token"]),
        digest_secret(successor),
    }
    stored = repr([(row.digest, row.record) for row in rows])
    assert first["refresh_token"] not in stored
    assert successor not in stored


async def test_the_refreshed_id_token_reports_the_original_authentication_without_nonce(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """OpenID Connect Core §12.2."""
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)
    original = await verified_claims(http, first["id_token"], "RS256")
    assert original["nonce"] == NONCE

    body = (await refresh(http, headers, first["refresh_token"])).json()

    claims = await verified_claims(http, body["id_token"], "RS256")
    for name in ("iss", "sub", "aud", "azp", "auth_time", "acr", "amr"):
        assert claims[name] == original[name], name
    assert "nonce" not in claims
    assert claims["at_hash"] == at_hash(body["access_token"])


async def test_a_rotated_refresh_token_used_again_revokes_the_whole_family(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 9700 §4.14.2: the attacker or the client holds a stale token; stop both."""
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)
    successor = (await refresh(http, headers, first["refresh_token"])).json()["refresh_token"]

    assert_error(await refresh(http, headers, first["refresh_token"]), 400, "invalid_grant")
    assert_error(await refresh(http, headers, successor), 400, "invalid_grant")


async def test_the_scope_may_be_narrowed_and_the_successor_keeps_the_original_scope(
    app: FastAPI, http: httpx.AsyncClient, settings: Settings
) -> None:
    """RFC 6749 §6: narrower access token; the new refresh token's scope is unchanged."""
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)

    narrowed = (await refresh(http, headers, first["refresh_token"], scope="profile")).json()

    assert narrowed["scope"] == "profile"
    alg = settings.access_token_signing_alg
    access = await verified_claims(http, narrowed["access_token"], alg)
    assert access["scope"] == "profile"
    assert "id_token" not in narrowed  # no openid in the narrowed scope
    full = (await refresh(http, headers, narrowed["refresh_token"])).json()
    assert full["scope"] == "openid profile offline_access"
    assert full["id_token"]


async def test_a_narrowed_scope_with_openid_brings_an_id_token(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)

    narrowed = (await refresh(http, headers, first["refresh_token"], scope="openid")).json()

    assert narrowed["scope"] == "openid"
    assert (await verified_claims(http, narrowed["id_token"], "RS256"))["azp"] == client_id


@pytest.mark.parametrize("scope", ["openid email", "email", "openid profile offline_access email"])
async def test_a_scope_beyond_the_granted_one_is_invalid_scope_and_spends_nothing(
    app: FastAPI, http: httpx.AsyncClient, scope: str
) -> None:
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)

    widened = await refresh(http, headers, first["refresh_token"], scope=scope)

    assert_error(widened, 400, "invalid_scope")
    response = await refresh(http, headers, first["refresh_token"])
    assert response.status_code == 200, response.text  # a first use, not a replay
    assert (await refresh(http, headers, response.json()["refresh_token"])).status_code == 200


async def test_an_empty_scope_parameter_means_the_granted_scope(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §3.2: a parameter sent without a value is treated as omitted."""
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)

    body = (await refresh(http, headers, first["refresh_token"], scope="")).json()

    assert body["scope"] == "openid profile offline_access"


async def test_a_refresh_token_of_another_client_is_invalid_grant_and_spends_nothing(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §6: the token is bound to the client it was issued to."""
    client_id, headers = await registered(app)
    _, other_headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)

    assert_error(await refresh(http, other_headers, first["refresh_token"]), 400, "invalid_grant")
    response = await refresh(http, headers, first["refresh_token"])
    assert response.status_code == 200, response.text  # a first use, not a replay
    assert (await refresh(http, headers, response.json()["refresh_token"])).status_code == 200


async def test_a_spent_refresh_token_of_another_client_does_not_revoke_the_family(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """Only the client the token was issued to can present it: to anyone else it is unknown."""
    client_id, headers = await registered(app)
    _, other_headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)
    successor = (await refresh(http, headers, first["refresh_token"])).json()["refresh_token"]

    assert_error(await refresh(http, other_headers, first["refresh_token"]), 400, "invalid_grant")
    assert (await refresh(http, headers, successor)).status_code == 200


@pytest.mark.parametrize(
    "token", ["no-such-token", "e30.c2VjcmV0", "!!!.x", ".", "a" * 43, "\u00e9" * 43]
)
async def test_an_unknown_or_malformed_refresh_token_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient, token: str
) -> None:
    _, headers = await registered(app)
    assert_error(await refresh(http, headers, token), 400, "invalid_grant")


async def test_a_token_with_a_record_prepended_is_unknown(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """Nothing but the stored digest of the whole string makes a token: no part is read."""
    client_id, headers = await registered(app)
    first = await first_tokens(app, http, headers, client_id)

    prefixed = f"eyJjbGllbnRfaWQiOiJ4In0.{first['refresh_token']}"

    assert_error(await refresh(http, headers, prefixed), 400, "invalid_grant")
    assert (await refresh(http, headers, first["refresh_token"])).status_code == 200


async def test_a_missing_refresh_token_is_invalid_request(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    _, headers = await registered(app)
    response = await http.post("/token", data={"grant_type": "refresh_token"}, headers=headers)
    assert_error(response, 400, "invalid_request")


async def test_an_expired_refresh_token_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(app)
    user = await a_user(app)
    _, authorization = await mint_code(app, client_id, user.sub, scope=OFFLINE)
    long_ago = utc_now() - timedelta(hours=2)
    token = await issue_refresh_token(
        grant_store(app),
        grant_id=authorization.grant_id,
        client_id=client_id,
        authentication=authorization.authentication,
        scope=OFFLINE,
        now=long_ago,
        ttl=3600,
    )

    assert_error(await refresh(http, headers, token), 400, "invalid_grant")


async def test_a_refresh_token_whose_grant_was_revoked_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """Revoking the grant (logout, the customer removing the app) ends its refresh tokens."""
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, authorization = await mint_code(app, client_id, user.sub, scope=OFFLINE)
    first = (await redeem(http, headers, code)).json()
    await grant_store(app).revoke_grant(authorization.grant_id, utc_now())

    assert_error(await refresh(http, headers, first["refresh_token"]), 400, "invalid_grant")


async def test_a_refresh_token_of_a_disabled_or_vanished_account_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(app)
    disabled = await a_user(app, disabled=True)
    for sub in (disabled.sub, "no-such-user"):
        _, authorization = await mint_code(app, client_id, sub, scope=OFFLINE)
        token = await issue_refresh_token(
            grant_store(app),
            grant_id=authorization.grant_id,
            client_id=client_id,
            authentication=authorization.authentication,
            scope=OFFLINE,
            now=utc_now(),
            ttl=3600,
        )
        assert_error(await refresh(http, headers, token), 400, "invalid_grant")


async def test_a_client_not_registered_for_refresh_tokens_is_unauthorized(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    _, headers = await registered(app, replace(SHOP, grant_types=("authorization_code",)))
    assert_error(await refresh(http, headers, "any-token"), 400, "unauthorized_client")
