"""RFC 7009 token revocation through POST /revoke, with the tokens POST /token issued."""

from __future__ import annotations

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.protocol.revocation import metadata
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
    userinfo,
    web_client,
)


def assert_revoked_answer(response: httpx.Response) -> None:
    """§2.2: 200 whatever there was to revoke; the body is ignored, ours is empty."""
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"


async def is_active(http: httpx.AsyncClient, party: Party, token: str) -> bool:
    active: bool = (await introspect(http, party, token)).json()["active"]
    return active


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token", "id_token"])
async def test_revoking_a_refresh_token_ends_every_token_of_its_grant(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str, hint: str | None
) -> None:
    """§2.1: revoking a refresh token SHOULD revoke the access tokens of the same grant; a
    wrong or unknown hint only changes where the search starts."""
    tokens = await user_tokens(http, provider, rp, sub)
    hinted = {"token_type_hint": hint} if hint else {}

    assert_revoked_answer(await revoke(http, rp, tokens["refresh_token"], **hinted))

    assert (await userinfo(http, tokens["access_token"])).status_code == 401
    assert not await is_active(http, rp, tokens["access_token"])
    assert not await is_active(http, rp, tokens["refresh_token"])
    assert (await refresh(http, rp, tokens["refresh_token"])).json()["error"] == "invalid_grant"


async def test_revoking_a_rotated_refresh_token_s_successor_ends_the_grant(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    tokens = await user_tokens(http, provider, rp, sub)
    renewed = (await refresh(http, rp, tokens["refresh_token"])).json()
    assert_revoked_answer(await revoke(http, rp, renewed["refresh_token"]))
    for access_token in (tokens["access_token"], renewed["access_token"]):
        assert not await is_active(http, rp, access_token)


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token", "id_token"])
async def test_revoking_an_access_token_ends_that_token_only(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str, hint: str | None
) -> None:
    """The client keeps its refresh token: it revoked one access token, not the authorization."""
    tokens = await user_tokens(http, provider, rp, sub)
    hinted = {"token_type_hint": hint} if hint else {}

    assert_revoked_answer(await revoke(http, rp, tokens["access_token"], **hinted))

    assert (await userinfo(http, tokens["access_token"])).status_code == 401
    assert not await is_active(http, rp, tokens["access_token"])
    renewed = await refresh(http, rp, tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert (await userinfo(http, renewed.json()["access_token"])).status_code == 200


async def test_a_machine_client_revokes_its_access_token(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    machine = await machine_client(provider)
    access_token = await machine_token(http, machine)
    assert await is_active(http, machine, access_token)
    assert_revoked_answer(await revoke(http, machine, access_token))
    assert not await is_active(http, machine, access_token)


async def test_a_public_client_revokes_its_tokens_with_its_client_id(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """§5: public clients identify themselves by client_id, and may revoke too."""
    spa = await web_client(provider, name="SPA", token_endpoint_auth_method="none")
    assert spa.secret is None
    tokens = await user_tokens(http, provider, spa, sub)
    assert_revoked_answer(await revoke(http, spa, tokens["refresh_token"]))
    assert (await userinfo(http, tokens["access_token"])).status_code == 401


async def test_another_client_s_tokens_are_answered_200_and_left_alone(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """§2.1 binds a token to its client; answering 200 anyway (§2.2) tells the other client
    nothing about whether the token exists."""
    tokens = await user_tokens(http, provider, rp, sub)
    machine = await machine_client(provider)
    machine_access = await machine_token(http, machine)
    other = await web_client(provider, name="Other shop")

    for token in (tokens["refresh_token"], tokens["access_token"], machine_access):
        assert_revoked_answer(await revoke(http, other, token))

    assert (await userinfo(http, tokens["access_token"])).status_code == 200
    assert await is_active(http, rp, tokens["refresh_token"])
    assert await is_active(http, machine, machine_access)


@pytest.mark.parametrize("token", ["no-such-token", "a.b.c", "x" * 5000])
async def test_an_unknown_token_is_answered_200(
    http: httpx.AsyncClient, provider: Provider, token: str
) -> None:
    """§2.2: invalid tokens do not cause an error response."""
    assert_revoked_answer(await revoke(http, await machine_client(provider), token))


async def test_revoking_twice_or_after_expiry_is_answered_200(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    tokens = await user_tokens(http, provider, rp, sub)
    for _ in range(2):
        assert_revoked_answer(await revoke(http, rp, tokens["access_token"]))
        assert_revoked_answer(await revoke(http, rp, tokens["refresh_token"]))
    machine = await machine_client(provider)
    assert_revoked_answer(
        await revoke(http, machine, await expired_access_token(provider, machine))
    )
    assert_revoked_answer(await revoke(http, rp, await expired_refresh_token(provider, rp, sub)))


async def test_an_id_token_is_not_revocable_and_changes_nothing(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    tokens = await user_tokens(http, provider, rp, sub)
    assert_revoked_answer(await revoke(http, rp, tokens["id_token"]))
    assert (await userinfo(http, tokens["access_token"])).status_code == 200


async def test_the_client_must_authenticate(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    """§2.1: client authentication as at the token endpoint; 401 and a challenge (§2.2.1)."""
    tokens = await user_tokens(http, provider, rp, sub)
    wrong = Party(rp.client_id, "not-the-secret")
    anonymous = await http.post("/revoke", data={"token": tokens["refresh_token"]})
    for response in (await revoke(http, wrong, tokens["refresh_token"]), anonymous):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")
        assert response.headers["cache-control"] == "no-store"
    assert await is_active(http, rp, tokens["refresh_token"])


def test_metadata_names_the_endpoint_and_its_authentication_methods() -> None:
    assert metadata("https://id.example.com", "/revoke") == {
        "revocation_endpoint": "https://id.example.com/revoke",
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none",
        ],
        "revocation_endpoint_auth_signing_alg_values_supported": [
            "RS256",
            "PS256",
            "ES256",
            "Ed25519",
            "HS256",
            "HS384",
            "HS512",
        ],
    }
