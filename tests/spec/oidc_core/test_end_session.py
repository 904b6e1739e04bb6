"""RP-Initiated Logout 1.0 at the end_session_endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer
from ciam_oidc.protocol.tokens.id_token import IdTokenIssuer
from tests.spec.browser import (
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    csrf_token,
    register_rp,
)
from tests.spec.oidc_core.conftest import ISSUER

BYE = "https://rp.example/bye"


@pytest.fixture
async def rp(provider: Provider) -> RelyingParty:
    return await register_rp(provider, post_logout_redirect_uris=(BYE,))


@pytest.fixture
async def alice(provider: Provider) -> str:
    return await add_customer(provider)


async def signed_in(browser: Browser, rp: RelyingParty) -> None:
    await browser.consent(await browser.sign_in(await browser.authorize(authorization_params(rp))))


async def id_token_for(provider: Provider, client_id: str, sub: str) -> str:
    client = await provider.clients.get_client(client_id)
    assert client is not None
    issuer = IdTokenIssuer(provider.keyring, ISSUER, 600)
    now = utc_now() - timedelta(hours=2)  # an expired hint is still a valid hint
    authentication = Authentication(sub, now, "1", ("pwd",))
    return await issuer.issue(
        client=client,
        authentication=authentication,
        now=now,
        nonce=None,
        access_token=None,
        session_id=None,
        extra_claims={},
    )


async def still_signed_in(browser: Browser, rp: RelyingParty) -> bool:
    response = await browser.authorize(authorization_params(rp, prompt="none"))
    return "code=" in response.headers["location"]


async def test_a_hint_for_the_signed_in_person_signs_out_and_returns_with_state(
    browser: Browser, rp: RelyingParty, alice: str, provider: Provider
) -> None:
    await signed_in(browser, rp)
    hint = await id_token_for(provider, rp.client_id, alice)
    params = {"id_token_hint": hint, "post_logout_redirect_uri": BYE, "state": "bye-1"}
    response = await browser.http.get("/logout", params=params)
    assert response.status_code == 303
    assert response.headers["location"] == BYE + "?state=bye-1"
    assert not await still_signed_in(browser, rp)


async def test_without_a_hint_the_person_confirms_first(
    browser: Browser, rp: RelyingParty, alice: str
) -> None:
    await signed_in(browser, rp)
    page = await browser.http.get(
        "/logout", params={"client_id": rp.client_id, "post_logout_redirect_uri": BYE}
    )
    assert page.status_code == 200
    assert await still_signed_in(browser, rp)
    form = {
        "csrf_token": csrf_token(page.text),
        "client_id": rp.client_id,
        "post_logout_redirect_uri": BYE,
        "confirm": "yes",
    }
    response = await browser.http.post("/logout", data=form)
    assert response.headers["location"] == BYE
    assert not await still_signed_in(browser, rp)


async def test_a_confirmation_without_csrf_token_signs_nobody_out(
    browser: Browser, rp: RelyingParty, alice: str
) -> None:
    await signed_in(browser, rp)
    response = await browser.http.post("/logout", data={"confirm": "yes"})
    assert response.status_code == 403
    assert await still_signed_in(browser, rp)


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "RP", "post_logout_redirect_uri": "https://attacker.example/"},
        {"post_logout_redirect_uri": BYE},  # no way to tell which client registered it
        {"client_id": "RP", "id_token_hint": "not-a-jwt"},
    ],
)
async def test_unverifiable_requests_get_a_page_and_no_redirect(
    browser: Browser, rp: RelyingParty, params: dict[str, str]
) -> None:
    params = {k: rp.client_id if v == "RP" else v for k, v in params.items()}
    response = await browser.http.get("/logout", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_hint_for_another_client_than_client_id_is_refused(
    browser: Browser, rp: RelyingParty, alice: str, provider: Provider
) -> None:
    other = await register_rp(provider, name="Other")
    hint = await id_token_for(provider, other.client_id, alice)
    params = {"client_id": rp.client_id, "id_token_hint": hint}
    assert (await browser.http.get("/logout", params=params)).status_code == 400


async def test_without_a_session_the_person_is_simply_signed_out(
    browser: Browser, rp: RelyingParty
) -> None:
    response = await browser.http.get(
        "/logout", params={"client_id": rp.client_id, "post_logout_redirect_uri": BYE}
    )
    assert response.headers["location"] == BYE


async def test_discovery_advertises_the_end_session_endpoint(browser: Browser) -> None:
    document = (await browser.http.get("/.well-known/openid-configuration")).json()
    assert document["end_session_endpoint"] == ISSUER + "/logout"


async def test_an_access_token_is_not_accepted_as_an_id_token_hint(
    browser: Browser, rp: RelyingParty, alice: str, provider: Provider
) -> None:
    """RFC 9068 §4: a JWT access token (typ at+jwt) must not pass for an ID token."""
    issuer = AccessTokenIssuer(provider.keyring, ISSUER, "RS256", 600)
    issued = await issuer.issue(sub=alice, client_id=rp.client_id, scope=("openid",), now=utc_now())
    params = {"client_id": rp.client_id, "id_token_hint": issued.token}
    assert (await browser.http.get("/logout", params=params)).status_code == 400
