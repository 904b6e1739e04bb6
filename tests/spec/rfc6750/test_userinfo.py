"""The UserInfo endpoint as an RFC 6750 protected resource (OpenID Connect Core §5.3)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.protocol.userinfo import metadata
from tests.spec.issued_tokens import (
    Party,
    authorization_code,
    exchange_code,
    expired_access_token,
    machine_client,
    machine_token,
    revoke,
    user_tokens,
    userinfo,
)


def assert_bearer_error(response: httpx.Response, status: int, error: str) -> None:
    """RFC 6750 §3: the error code in the challenge; never cached."""
    assert response.status_code == status, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(f'Bearer error="{error}", error_description="'), challenge
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == error


async def test_the_bearer_of_an_openid_token_gets_sub_and_the_scopes_claims(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    tokens = await user_tokens(http, provider, rp, sub, "openid email")
    response = await userinfo(http, tokens["access_token"])

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    # Core §5.4: email stands for email and email_verified; profile was not granted, so no name.
    assert response.json() == {"sub": sub, "email": "alice@example.com", "email_verified": True}


async def test_the_profile_scope_releases_only_the_profile_claims_the_person_has(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    tokens = await user_tokens(http, provider, rp, sub, "openid profile")
    claims = (await userinfo(http, tokens["access_token"])).json()
    assert claims["sub"] == sub
    assert claims["name"] == "Alice"
    assert isinstance(claims["updated_at"], int)  # Core §5.1: seconds since the epoch
    assert "given_name" not in claims  # §5.3.2: absent, never null
    assert "email" not in claims


async def test_post_with_the_token_in_the_header_or_the_form_body(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """Core §5.3.1: GET and POST; RFC 6750 §2.1 header, §2.2 form-encoded body."""
    access_token = (await user_tokens(http, provider, rp, sub))["access_token"]
    in_header = await http.post("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    in_body = await http.post("/userinfo", data={"access_token": access_token})
    assert in_header.status_code == in_body.status_code == 200
    assert in_header.json() == in_body.json() == (await userinfo(http, access_token)).json()
    assert in_body.headers["cache-control"] == "no-store"


async def test_the_token_in_both_header_and_body_is_invalid_request(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """RFC 6750 §2: a client MUST NOT use more than one method in each request."""
    access_token = (await user_tokens(http, provider, rp, sub))["access_token"]
    response = await http.post(
        "/userinfo",
        data={"access_token": access_token},
        headers={"Authorization": f"Bearer {access_token}"},
    )
    assert_bearer_error(response, 400, "invalid_request")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}])
async def test_a_request_without_a_bearer_token_gets_a_bare_challenge(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """RFC 6750 §3.1: with no authentication information, no error code is given."""
    for response in (
        await http.get("/userinfo", headers=headers),
        await http.post("/userinfo", headers=headers),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["cache-control"] == "no-store"
        assert response.content == b""


async def test_an_expired_access_token_is_invalid_token(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    access_token = await expired_access_token(provider, rp, sub, ("openid", "email"))
    response = await userinfo(http, access_token)
    assert_bearer_error(response, 401, "invalid_token")
    assert (
        'error_description="the access token has expired"' in response.headers["www-authenticate"]
    )


async def test_an_id_token_is_not_an_access_token(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """RFC 9068 §4: signed by the same keys, told apart by `typ: at+jwt`."""
    id_token = (await user_tokens(http, provider, rp, sub))["id_token"]
    assert_bearer_error(await userinfo(http, id_token), 401, "invalid_token")


@pytest.mark.parametrize("mangle", [lambda t: t[:-4] + "AAAA", lambda t: "x" + t, lambda _: "abc"])
async def test_a_forged_or_malformed_token_is_invalid_token(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str, mangle: Callable[[str], str]
) -> None:
    access_token = (await user_tokens(http, provider, rp, sub))["access_token"]
    assert_bearer_error(await userinfo(http, mangle(access_token)), 401, "invalid_token")


async def test_a_token_whose_grant_was_revoked_by_code_replay_is_invalid_token(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it, at once."""
    code = await authorization_code(provider, rp, sub, "openid email")
    first = await exchange_code(http, rp, code)
    access_token = first.json()["access_token"]
    assert (await userinfo(http, access_token)).status_code == 200

    assert (await exchange_code(http, rp, code)).json()["error"] == "invalid_grant"
    assert_bearer_error(await userinfo(http, access_token), 401, "invalid_token")


async def test_a_revoked_access_token_is_invalid_token(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    access_token = (await user_tokens(http, provider, rp, sub))["access_token"]
    assert (await revoke(http, rp, access_token)).status_code == 200
    assert_bearer_error(await userinfo(http, access_token), 401, "invalid_token")


async def test_a_machine_token_lacks_the_openid_scope(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    """RFC 6750 §3.1: valid but not enough: 403 insufficient_scope, naming the scope needed."""
    access_token = await machine_token(http, await machine_client(provider))
    response = await userinfo(http, access_token)
    assert_bearer_error(response, 403, "insufficient_scope")
    assert response.headers["www-authenticate"].endswith(', scope="openid"')


async def test_a_person_s_token_without_openid_lacks_the_scope_too(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    access_token = (await user_tokens(http, provider, rp, sub, "email"))["access_token"]
    assert_bearer_error(await userinfo(http, access_token), 403, "insufficient_scope")


def test_metadata_names_the_endpoint_and_its_signing_algorithms() -> None:
    assert metadata("https://id.example.com", "/userinfo", ["RS256", "ES256"]) == {
        "userinfo_endpoint": "https://id.example.com/userinfo",
        "userinfo_signing_alg_values_supported": ["RS256", "ES256"],
    }
