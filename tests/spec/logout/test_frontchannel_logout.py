"""OpenID Connect Front-Channel Logout 1.0: the page that ends the session loads each relying
party's logout URL in a hidden iframe, then continues to the client's post-logout URI."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI

from ciam_oidc.app import Provider
from tests.spec.browser import (
    REDIRECT_URI,
    Browser,
    RelyingParty,
    authorization_params,
    id_token_claims,
    redeem,
    register_rp,
)
from tests.spec.logout.conftest import ISSUER

BYE = "https://rp.example/bye"
SHOP_LOGOUT = "https://rp.example/frontchannel"
BLOG_LOGOUT = "https://blog.example:8443/logout?from=op"


def frames(page: httpx.Response) -> list[str]:
    return [unescape(src) for src in re.findall(r'<iframe src="([^"]+)"', page.text)]


async def sign_in_to(browser: Browser, *parties: RelyingParty) -> str:
    """Sign in through the first party, then the others reuse the session; the session's sid."""
    first, *others = parties
    done = await browser.consent(
        await browser.sign_in(await browser.authorize(authorization_params(first)))
    )
    for party in others:
        asked = await browser.authorize(authorization_params(party))
        assert "/consent?" in asked.headers["location"], asked.headers["location"]
        page = await browser.open(asked.headers["location"])
        await browser.submit(page, "/consent", decision="allow")
    id_token = (await redeem(browser, first, done))["id_token"]
    return str((await id_token_claims(browser, id_token))["sid"])


async def test_the_logout_page_loads_each_clients_frontchannel_uri_then_continues(
    browser: Browser, app: FastAPI, alice: str
) -> None:
    provider: Provider = app.state.provider
    shop = await register_rp(
        provider,
        post_logout_redirect_uris=(BYE,),
        frontchannel_logout_uri=SHOP_LOGOUT,
        frontchannel_logout_session_required=True,
    )
    blog = await register_rp(
        provider,
        name="Blog",
        redirect_uris=(REDIRECT_URI, "https://blog.example:8443/cb"),
        frontchannel_logout_uri=BLOG_LOGOUT,
    )
    await register_rp(
        provider, name="Never used", frontchannel_logout_uri="https://rp.example/other"
    )
    sid = await sign_in_to(browser, shop, blog)

    page = await browser.http.get(
        "/logout",
        params={"client_id": shop.client_id, "post_logout_redirect_uri": BYE, "state": "s-1"},
    )
    confirmed = await browser.http.post(
        "/logout",
        data={
            "csrf_token": re.findall(r'name="csrf_token" value="([^"]+)"', page.text)[0],
            "client_id": shop.client_id,
            "post_logout_redirect_uri": BYE,
            "state": "s-1",
            "confirm": "yes",
        },
    )

    assert confirmed.status_code == 200
    # FCL §2: iss and sid only for the client that asked for them (…_session_required).
    session_params = urlencode({"iss": ISSUER, "sid": sid})
    assert sorted(frames(confirmed)) == sorted([f"{SHOP_LOGOUT}?{session_params}", BLOG_LOGOUT])
    assert f'href="{BYE}?state=s-1"' in confirmed.text
    assert "/static/frontchannel_logout.js" in confirmed.text
    policy = confirmed.headers["content-security-policy"]
    assert "frame-src https://blog.example:8443 https://rp.example" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    # The session is over: a silent authorization request finds nobody signed in.
    silent = await browser.authorize(authorization_params(shop, prompt="none"))
    assert "error=login_required" in silent.headers["location"]


async def test_without_a_return_uri_the_page_still_loads_the_iframes(
    browser: Browser, app: FastAPI, alice: str
) -> None:
    provider: Provider = app.state.provider
    shop = await register_rp(provider, frontchannel_logout_uri=SHOP_LOGOUT)
    done = await browser.consent(
        await browser.sign_in(await browser.authorize(authorization_params(shop)))
    )
    id_token = (await redeem(browser, shop, done))["id_token"]

    page = await browser.http.get("/logout", params={"id_token_hint": id_token})

    assert page.status_code == 200
    assert frames(page) == [SHOP_LOGOUT]
    assert 'id="continue"' not in page.text


async def test_clients_without_a_frontchannel_uri_are_answered_with_a_redirect(
    browser: Browser, app: FastAPI, alice: str
) -> None:
    provider: Provider = app.state.provider
    shop = await register_rp(provider, post_logout_redirect_uris=(BYE,))
    done = await browser.consent(
        await browser.sign_in(await browser.authorize(authorization_params(shop)))
    )
    id_token = (await redeem(browser, shop, done))["id_token"]
    params = {"id_token_hint": id_token, "post_logout_redirect_uri": BYE}
    response = await browser.http.get("/logout", params=params)
    assert response.status_code == 303
    assert response.headers["location"] == BYE


async def test_the_continuing_script_is_served_from_our_origin(browser: Browser) -> None:
    script = await browser.http.get("/static/frontchannel_logout.js")
    assert script.status_code == 200
    assert "addEventListener" in script.text
