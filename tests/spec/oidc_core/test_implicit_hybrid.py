"""The implicit (OpenID Connect Core §3.2) and hybrid (§3.3) flows: tokens straight from the
authorization endpoint, in the fragment, only for clients registered for them."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.protocol.tokens.id_token import token_hash
from tests.spec.browser import (
    REDIRECT_URI,
    VERIFIER,
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    callback_params,
    id_token_claims,
)

HYBRID_AND_IMPLICIT = ("id_token", "id_token token", "code id_token", "code token")


async def register_for(provider: Provider, *response_types: str) -> RelyingParty:
    """A client registered for `response_types` (the code flow is all a client gets unless
    it asks, RFC 9700 §2.1.2)."""
    request = ClientRequest(
        name="Shop",
        redirect_uris=(REDIRECT_URI,),
        grant_types=("authorization_code", "refresh_token"),
        scope="openid profile email offline_access",
    )
    client, secret = register_client(request, utc_now())
    await provider.clients.add_client(replace(client, response_types=response_types))
    return RelyingParty(client.client_id, secret or "")


def fragment_of(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "#"), location
    return location.partition("#")[2]


async def signed_in(
    browser: Browser, rp: RelyingParty, response_type: str, **changes: str
) -> dict[str, str]:
    """The callback's parameters after signing in, for a scope that needs no consent."""
    params = authorization_params(rp, response_type=response_type, scope="openid", **changes)
    done = await browser.sign_in(await browser.authorize(params))
    fragment_of(done)  # never the query (Multiple Response Types §5)
    return callback_params(done)


@pytest.mark.parametrize(
    "response_type",
    ["id_token", "id_token token", "code id_token", "code token", "code id_token token"],
)
async def test_each_response_type_returns_what_it_names_in_the_fragment(
    browser: Browser, provider: Provider, response_type: str
) -> None:
    await add_customer(provider)
    rp = await register_for(provider, "code", response_type)
    response = await signed_in(browser, rp, response_type)
    names = set(response_type.split())
    assert ("code" in response) == ("code" in names)
    assert ("access_token" in response) == ("token" in names)
    assert ("id_token" in response) == ("id_token" in names)
    assert "refresh_token" not in response  # never through the browser (RFC 6749 §4.2.2)
    assert response["state"] == "s-123"
    assert response["iss"] == "https://id.example.com"
    if "token" in names:
        assert response["token_type"] == "Bearer"
        assert int(response["expires_in"]) > 0
    if "id_token" in names:
        claims = await id_token_claims(browser, response["id_token"])
        assert claims["nonce"] == "n-456"
        assert claims["aud"] == rp.client_id
        assert "sid" in claims
        # Core §3.3.2.11: hashes bind the ID token to what travels beside it.
        if "token" in names:
            assert claims["at_hash"] == token_hash(response["access_token"], "RS256")
        else:
            assert "at_hash" not in claims
        if "code" in names:
            assert claims["c_hash"] == token_hash(response["code"], "RS256")
        else:
            assert "c_hash" not in claims


async def test_an_id_token_alone_carries_the_claims_of_the_scope(
    browser: Browser, provider: Provider
) -> None:
    """Core §5.4: with no access token there is no UserInfo call to get them from."""
    await add_customer(provider)
    rp = await register_for(provider, "id_token", "id_token token")
    params = authorization_params(rp, response_type="id_token", scope="openid email profile")
    done = await browser.consent(await browser.sign_in(await browser.authorize(params)))
    claims = await id_token_claims(browser, callback_params(done)["id_token"])
    assert claims["email"] == "alice@example.com"
    assert claims["name"] == "Alice"

    # With an access token beside it, the scope's claims come from UserInfo instead.
    params = authorization_params(rp, response_type="id_token token", scope="openid email")
    response = callback_params(await browser.authorize(params))  # consented already
    claims = await id_token_claims(browser, response["id_token"])
    assert "email" not in claims
    headers = {"Authorization": f"Bearer {response['access_token']}"}
    userinfo = await browser.http.get("/userinfo", headers=headers)
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["email"] == "alice@example.com"
    assert userinfo.json()["sub"] == claims["sub"]


async def test_the_hybrid_code_is_redeemed_for_tokens_about_the_same_person(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    rp = await register_for(provider, "code id_token")
    response = await signed_in(browser, rp, "code id_token")
    front = await id_token_claims(browser, response["id_token"])
    form = {
        "grant_type": "authorization_code",
        "code": response["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    tokens = await browser.http.post("/token", data=form, auth=(rp.client_id, rp.secret))
    assert tokens.status_code == 200, tokens.text
    back = await id_token_claims(browser, tokens.json()["id_token"])
    assert back["sub"] == front["sub"]
    assert back["nonce"] == front["nonce"] == "n-456"


async def test_signing_out_ends_the_implicit_access_token(
    browser: Browser, provider: Provider
) -> None:
    """The implicit flow's tokens belong to a grant too, which revoking the client ends."""
    sub = await add_customer(provider)
    rp = await register_for(provider, "id_token token")
    response = await signed_in(browser, rp, "id_token token")
    headers = {"Authorization": f"Bearer {response['access_token']}"}
    assert (await browser.http.get("/userinfo", headers=headers)).status_code == 200
    await provider.interactions.grants.revoke_client_grants(sub, rp.client_id, utc_now())
    assert (await browser.http.get("/userinfo", headers=headers)).status_code == 401


@pytest.mark.parametrize("response_type", HYBRID_AND_IMPLICIT)
async def test_a_nonce_is_required(
    browser: Browser, provider: Provider, response_type: str
) -> None:
    """Core §3.2.2.1, §3.3.2.11; the error goes back in the fragment, the type's default."""
    rp = await register_for(provider, response_type)
    params = authorization_params(rp, response_type=response_type)
    del params["nonce"]
    response = await browser.authorize(params)
    fragment_of(response)
    assert callback_params(response)["error"] == "invalid_request"


async def test_a_client_not_registered_for_a_response_type_cannot_use_it(
    browser: Browser, provider: Provider
) -> None:
    rp = await register_for(provider, "code")
    response = await browser.authorize(authorization_params(rp, response_type="id_token token"))
    fragment_of(response)
    assert callback_params(response)["error"] == "unauthorized_client"


@pytest.mark.parametrize("response_type", ["token", "code none", "id_token code_verifier"])
async def test_response_types_that_do_not_exist_here_are_refused(
    browser: Browser, provider: Provider, response_type: str
) -> None:
    rp = await register_for(provider, "code", "id_token token")
    response = await browser.authorize(authorization_params(rp, response_type=response_type))
    assert callback_params(response)["error"] == "unsupported_response_type"


async def test_the_order_of_response_type_values_does_not_matter(
    browser: Browser, provider: Provider
) -> None:
    """OAuth 2.0 Multiple Response Type Encoding Practices §5."""
    await add_customer(provider)
    rp = await register_for(provider, "code id_token token")
    response = await signed_in(browser, rp, "token code id_token")
    assert {"code", "access_token", "id_token"} <= response.keys()


async def test_tokens_are_never_sent_in_the_query(browser: Browser, provider: Provider) -> None:
    """Multiple Response Types §5: the query MUST NOT be used; the error says so, in the
    fragment."""
    rp = await register_for(provider, "id_token token")
    params = authorization_params(rp, response_type="id_token token", response_mode="query")
    response = await browser.authorize(params)
    fragment_of(response)
    assert callback_params(response)["error"] == "invalid_request"


async def test_form_post_delivers_the_hybrid_response(browser: Browser, provider: Provider) -> None:
    await add_customer(provider)
    rp = await register_for(provider, "code id_token")
    params = authorization_params(
        rp, response_type="code id_token", scope="openid", response_mode="form_post"
    )
    page = await browser.sign_in(await browser.authorize(params))
    assert page.status_code == 200, page.text
    assert 'name="code"' in page.text
    assert 'name="id_token"' in page.text


async def test_a_hybrid_request_still_needs_pkce(browser: Browser, provider: Provider) -> None:
    """RFC 9700 §2.1.1: a code is issued, so the code's protection applies."""
    rp = await register_for(provider, "code id_token")
    params = authorization_params(rp, response_type="code id_token")
    del params["code_challenge"], params["code_challenge_method"]
    response = await browser.authorize(params)
    assert callback_params(response)["error"] == "invalid_request"


async def test_an_id_token_needs_the_openid_scope(browser: Browser, provider: Provider) -> None:
    rp = await register_for(provider, "id_token token")
    params = authorization_params(rp, response_type="id_token token", scope="email")
    response = await browser.authorize(params)
    assert callback_params(response)["error"] == "invalid_scope"


async def test_discovery_lists_the_response_types(browser: Browser) -> None:
    metadata = (await browser.http.get("/.well-known/openid-configuration")).json()
    assert set(metadata["response_types_supported"]) == {
        "code",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    }
    assert {"query", "fragment", "form_post"} <= set(metadata["response_modes_supported"])
