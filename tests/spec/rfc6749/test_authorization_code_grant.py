"""RFC 6749 §4.1.3 and OpenID Connect Core §3.1.3: redeeming a code at POST /token.

Codes are minted the way the authorization endpoint mints them (`issue_authorization_code`
against the application's own stores), so these tests exercise the token endpoint alone.
"""

from __future__ import annotations

import base64
import hashlib
import string
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.authorization_codes import issue_authorization_code, new_grant_id
from ciam_oidc.protocol.authorizations import Authentication, Authorization
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.protocol.pkce import s256_challenge
from ciam_oidc.protocol.users import User, UserRequest, new_user
from ciam_oidc.settings import Settings
from ciam_oidc.store.grants import SqlGrantStore
from tests.spec.rfc6749.test_client_credentials import assert_error, basic

REDIRECT_URI = "https://shop.example/cb"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
NONCE = "n-0S6_WzA2Mj"
SHOP = ClientRequest(
    name="Shop",
    redirect_uris=(REDIRECT_URI,),
    grant_types=("authorization_code", "refresh_token"),
    scope="openid profile email offline_access",
)


async def registered(app: FastAPI, request: ClientRequest = SHOP) -> tuple[str, dict[str, str]]:
    """The client id and the headers (or nothing, for a public client) it authenticates with."""
    provider: Provider = app.state.provider
    client, secret = register_client(request, utc_now())
    await provider.clients.add_client(client)
    return client.client_id, basic(client.client_id, secret) if secret else {}


async def a_user(app: FastAPI, disabled: bool = False) -> User:
    provider: Provider = app.state.provider
    request = UserRequest("jane@example.com", True, {"name": "Jane Doe", "given_name": "Jane"})
    user = replace(new_user(request, None, utc_now()), disabled=disabled)
    await provider.users.add_user(user)
    return user


def grant_store(app: FastAPI) -> SqlGrantStore:
    provider: Provider = app.state.provider
    return SqlGrantStore(provider.database)


async def mint_code(
    app: FastAPI, client_id: str, sub: str, now: datetime | None = None, **changes: Any
) -> tuple[str, Authorization]:
    """A code as the authorization endpoint would issue it after sign-in and consent."""
    now = now or utc_now()
    authorization = Authorization(
        grant_id=new_grant_id(),
        client_id=client_id,
        authentication=Authentication(
            sub=sub,
            auth_time=now - timedelta(minutes=2),
            acr="urn:ciam:acr:password",
            amr=("pwd",),
        ),
        scope=("openid", "profile"),
        redirect_uri=REDIRECT_URI,
        nonce=NONCE,
        code_challenge=s256_challenge(VERIFIER),
        claims=None,
        session_id="sid-7",
    )
    authorization = replace(authorization, **changes)
    store = grant_store(app)
    provider: Provider = app.state.provider
    ttl = provider.settings.authorization_code_ttl
    return await issue_authorization_code(store, store, authorization, now, ttl), authorization


def code_form(code: str, /, **overrides: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    form |= overrides
    return {name: value for name, value in form.items() if value is not None}


async def redeem(
    http: httpx.AsyncClient, headers: dict[str, str], code: str, /, **overrides: str | None
) -> httpx.Response:
    return await http.post("/token", data=code_form(code, **overrides), headers=headers)


async def verified_claims(http: httpx.AsyncClient, token: str, alg: str) -> dict[str, Any]:
    keys = KeySet.import_key_set((await http.get("/jwks")).json())
    claims: dict[str, Any] = jwt.decode(token, keys, algorithms=[alg]).claims
    return claims


def at_hash(access_token: str) -> str:
    """OpenID Connect Core §3.1.3.6 for RS256 and ES256, computed independently."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


async def test_code_is_exchanged_for_an_access_token_and_an_id_token(
    app: FastAPI, http: httpx.AsyncClient, settings: Settings
) -> None:
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, authorization = await mint_code(app, client_id, user.sub)

    response = await redeem(http, headers, code)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert body["scope"] == "openid profile"
    assert "refresh_token" not in body  # offline_access was not granted
    claims = await verified_claims(http, body["id_token"], "RS256")
    auth_time = int(authorization.authentication.auth_time.timestamp())
    assert claims["iss"] == settings.issuer
    assert claims["sub"] == user.sub
    assert claims["aud"] == claims["azp"] == client_id
    assert claims["nonce"] == NONCE
    assert claims["at_hash"] == at_hash(body["access_token"])
    assert claims["auth_time"] == auth_time
    assert claims["acr"] == "urn:ciam:acr:password"
    assert claims["amr"] == ["pwd"]
    assert claims["sid"] == "sid-7"
    assert claims["exp"] - claims["iat"] == settings.id_token_ttl
    # Core §5.4: an access token was issued, so the profile claims are for userinfo.
    assert "name" not in claims


async def test_the_access_token_says_who_authorized_it_how_and_under_which_grant(
    app: FastAPI, http: httpx.AsyncClient, settings: Settings
) -> None:
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, authorization = await mint_code(app, client_id, user.sub)

    body = (await redeem(http, headers, code)).json()

    claims = await verified_claims(http, body["access_token"], settings.access_token_signing_alg)
    assert claims["sub"] == user.sub
    assert claims["client_id"] == client_id
    assert claims["scope"] == "openid profile"
    assert claims["auth_time"] == int(authorization.authentication.auth_time.timestamp())
    assert claims["acr"] == "urn:ciam:acr:password"  # RFC 9068 §2.2.1
    assert claims["amr"] == ["pwd"]
    assert claims["gid"] == authorization.grant_id


async def test_claims_requested_for_the_id_token_are_in_it(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """Core §5.5: the claims parameter's id_token member asks for claims by name."""
    client_id, headers = await registered(app)
    user = await a_user(app)
    requested = {"id_token": {"email": {"essential": True}, "name": None}, "userinfo": {}}
    code, _ = await mint_code(app, client_id, user.sub, claims=requested)

    body = (await redeem(http, headers, code)).json()

    claims = await verified_claims(http, body["id_token"], "RS256")
    assert claims["email"] == "jane@example.com"
    assert claims["name"] == "Jane Doe"
    assert "given_name" not in claims


async def test_the_id_token_is_signed_with_the_algorithm_the_client_registered(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(app, replace(SHOP, id_token_signed_response_alg="ES256"))
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub)

    body = (await redeem(http, headers, code)).json()

    claims = await verified_claims(http, body["id_token"], "ES256")
    assert claims["at_hash"] == at_hash(body["access_token"])


async def test_without_openid_there_is_no_id_token(app: FastAPI, http: httpx.AsyncClient) -> None:
    client_id, headers = await registered(app, replace(SHOP, scope="orders:read"))
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub, scope=("orders:read",), nonce=None)

    body = (await redeem(http, headers, code)).json()

    assert body["scope"] == "orders:read"
    assert "id_token" not in body


async def test_offline_access_brings_a_refresh_token(app: FastAPI, http: httpx.AsyncClient) -> None:
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub, scope=("openid", "offline_access"))

    body = (await redeem(http, headers, code)).json()

    assert body["scope"] == "openid offline_access"
    # Opaque: 256 random bits in base64url, with nothing readable in or beside them.
    assert len(body["refresh_token"]) >= 43
    assert set(body["refresh_token"]) <= set(string.ascii_letters + string.digits + "-_")


async def test_offline_access_brings_no_refresh_token_to_a_client_not_registered_for_it(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """OpenID Connect Core §11: only a client that may use refresh tokens receives one."""
    client_id, headers = await registered(app, replace(SHOP, grant_types=("authorization_code",)))
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub, scope=("openid", "offline_access"))

    body = (await redeem(http, headers, code)).json()

    assert "access_token" in body
    assert "refresh_token" not in body


async def test_a_public_client_redeems_its_code_with_pkce_alone(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(
        app, replace(SHOP, token_endpoint_auth_method="none", grant_types=("authorization_code",))
    )
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub)

    response = await redeem(http, headers, code, client_id=client_id)

    assert response.status_code == 200, response.text
    assert response.json()["id_token"]


@pytest.mark.parametrize(
    "verifier",
    [None, "", VERIFIER[:-1] + "l", "a" * 42],
    ids=["missing", "empty", "wrong", "too-short"],
)
async def test_a_missing_or_wrong_code_verifier_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient, verifier: str | None
) -> None:
    """RFC 7636 §4.6."""
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub)

    response = await redeem(http, headers, code, code_verifier=verifier)

    assert_error(response, 400, "invalid_grant")


async def test_a_verifier_for_a_code_issued_without_challenge_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 9700 §2.1.1: the PKCE downgrade attack is refused."""
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub, code_challenge=None)

    assert_error(await redeem(http, headers, code), 400, "invalid_grant")


async def test_a_code_issued_without_challenge_is_redeemed_without_verifier(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub, code_challenge=None)

    assert (await redeem(http, headers, code, code_verifier=None)).status_code == 200


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://shop.example/cb/", "https://shop.example/other", "https://SHOP.example/cb"],
)
async def test_a_redirect_uri_other_than_the_authorization_requests_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient, redirect_uri: str
) -> None:
    """RFC 6749 §4.1.3: identical, compared as strings."""
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub)

    response = await redeem(http, headers, code, redirect_uri=redirect_uri)

    assert_error(response, 400, "invalid_grant")


@pytest.mark.parametrize("missing", ["code", "redirect_uri"])
async def test_a_missing_code_or_redirect_uri_is_invalid_request_and_spends_nothing(
    app: FastAPI, http: httpx.AsyncClient, missing: str
) -> None:
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub)

    assert_error(await redeem(http, headers, code, **{missing: None}), 400, "invalid_request")
    assert (await redeem(http, headers, code)).status_code == 200


async def test_a_code_issued_to_another_client_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §4.1.3: the code must have been issued to the authenticated client."""
    client_id, _ = await registered(app)
    _, other_headers = await registered(app)
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub)

    assert_error(await redeem(http, other_headers, code), 400, "invalid_grant")


async def test_a_reused_code_is_refused_and_revokes_the_tokens_issued_from_it(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §4.1.2: deny the second use and revoke what the first one issued."""
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, _ = await mint_code(app, client_id, user.sub, scope=("openid", "offline_access"))
    first = (await redeem(http, headers, code)).json()

    assert_error(await redeem(http, headers, code), 400, "invalid_grant")

    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert_error(await http.post("/token", data=refresh, headers=headers), 400, "invalid_grant")


async def test_an_expired_code_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient, settings: Settings
) -> None:
    """RFC 6749 §4.1.2: codes are short-lived."""
    client_id, headers = await registered(app)
    user = await a_user(app)
    long_ago = utc_now() - timedelta(seconds=settings.authorization_code_ttl + 1)
    code, _ = await mint_code(app, client_id, user.sub, now=long_ago)

    assert_error(await redeem(http, headers, code), 400, "invalid_grant")


async def test_an_unknown_code_is_invalid_grant(app: FastAPI, http: httpx.AsyncClient) -> None:
    _, headers = await registered(app)
    assert_error(await redeem(http, headers, "no-such-code"), 400, "invalid_grant")


async def test_a_code_whose_grant_was_revoked_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(app)
    user = await a_user(app)
    code, authorization = await mint_code(app, client_id, user.sub)
    await grant_store(app).revoke_grant(authorization.grant_id, utc_now())

    assert_error(await redeem(http, headers, code), 400, "invalid_grant")


async def test_a_code_of_a_disabled_or_vanished_account_is_invalid_grant(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, headers = await registered(app)
    disabled = await a_user(app, disabled=True)
    for sub in (disabled.sub, "no-such-user"):
        code, _ = await mint_code(app, client_id, sub)
        assert_error(await redeem(http, headers, code), 400, "invalid_grant")


async def test_a_client_not_registered_for_the_grant_is_unauthorized(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    machine = ClientRequest(name="Job", grant_types=("client_credentials",), scope="jobs")
    _, headers = await registered(app, machine)
    assert_error(await redeem(http, headers, "any-code"), 400, "unauthorized_client")


async def test_discovery_lists_the_grants_the_token_endpoint_accepts(
    http: httpx.AsyncClient,
) -> None:
    document = (await http.get("/.well-known/openid-configuration")).json()
    assert set(document["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
