"""Signed UserInfo responses (OpenID Connect Core §5.3.2): a client that registered
userinfo_signed_response_alg gets an `application/jwt` signed with that algorithm by a key the
JWKS publishes, carrying iss and aud besides the claims."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from ciam_oidc.app import Provider
from tests.spec.issued_tokens import user_tokens, userinfo, web_client
from tests.spec.oidc_core.conftest import ISSUER
from tests.spec.oidc_core.test_pairwise import payload


async def verified(http: httpx.AsyncClient, response: httpx.Response, alg: str) -> dict[str, Any]:
    """The claims of a signed UserInfo response, checked the way a client checks them."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/jwt"
    assert response.headers["cache-control"] == "no-store"
    keys = KeySet.import_key_set((await http.get("/jwks")).json())
    token = jwt.decode(response.text, keys, algorithms=[alg])
    assert token.header["alg"] == alg
    claims: dict[str, Any] = token.claims
    return claims


@pytest.mark.parametrize("alg", ["RS256", "ES256", "Ed25519"])
async def test_a_client_that_asked_for_signed_userinfo_gets_a_jwt_with_iss_and_aud(
    http: httpx.AsyncClient, provider: Provider, sub: str, alg: str
) -> None:
    shop = await web_client(provider, userinfo_signed_response_alg=alg)
    tokens = await user_tokens(http, provider, shop, sub, "openid email")

    claims = await verified(http, await userinfo(http, tokens["access_token"]), alg)

    assert claims == {
        "iss": ISSUER,
        "aud": shop.client_id,
        "sub": sub,
        "email": "alice@example.com",
        "email_verified": True,
    }


async def test_signed_userinfo_of_a_pairwise_client_carries_its_pairwise_sub(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    shop = await web_client(provider, subject_type="pairwise", userinfo_signed_response_alg="RS256")
    tokens = await user_tokens(http, provider, shop, sub, "openid")

    claims = await verified(http, await userinfo(http, tokens["access_token"]), "RS256")

    assert claims["sub"] == payload(tokens["id_token"])["sub"] != sub


async def test_a_client_that_did_not_ask_gets_plain_json(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    shop = await web_client(provider)
    tokens = await user_tokens(http, provider, shop, sub, "openid")

    response = await userinfo(http, tokens["access_token"])

    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"sub": sub}


async def test_discovery_advertises_the_userinfo_signing_algorithms(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    document = (await http.get("/.well-known/openid-configuration")).json()

    assert document["userinfo_signing_alg_values_supported"] == provider.settings.signing_algs
