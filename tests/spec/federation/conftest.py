"""Sign-in through upstream identity providers, with the whole application driven in-process
and real upstreams on loopback (tests/support/upstreams.py): the provider's federation client
talks HTTP to them exactly as it would to Google or GitHub.

The issuer is https, as in production, so cookies take their `__Host-` form; the upstreams
only ever send the browser back to it, which the scripted browser follows in-process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from ciam_oidc.app import Provider
from ciam_oidc.authn.upstreams import LinkedIdentity, Upstream
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.federation.presets import configure
from ciam_oidc.store.users import UserRow
from tests.spec.browser import Browser, RelyingParty, register_rp
from tests.spec.http import http_client
from tests.support.upstreams import (
    FakeGitHub,
    FakeOidcUpstream,
    fake_github,
    fake_oidc_upstream,
)
from tests.support.upstreams import callback_params as upstream_answer

__all__ = ["fake_github", "fake_oidc_upstream"]

ISSUER = "https://id.example.com"
CLIENT_ID = "ciam-at-upstream"
CLIENT_SECRET = "upstream-client-secret-0123456789"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """No mail: no emailed links, so a password or a passkey is an account's only way in
    besides its upstreams."""
    return {"issuer": ISSUER, "dev_mailbox": False}


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with http_client(app, ISSUER) as http:
        yield Browser(http)


def callback_url(upstream_id: str) -> str:
    return f"{ISSUER}/federation/{upstream_id}/callback"


async def add_oidc_upstream(
    provider: Provider, server: FakeOidcUpstream, upstream_id: str = "acme", **changes: Any
) -> Upstream:
    """`server` as an upstream of the provider, configured the way `idps create` does."""
    server.register_client(CLIENT_ID, CLIENT_SECRET, callback_url(upstream_id))
    values: dict[str, Any] = {
        "id": upstream_id,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "issuer": server.issuer,
        "name": "Acme ID",
        "scopes": ("openid", "email", "profile"),
        "now": utc_now(),
        **changes,
    }
    upstream = configure("oidc", **values)
    await provider.federation.upstreams.add_upstream(upstream)
    return upstream


async def add_github(provider: Provider, server: FakeGitHub, upstream_id: str = "github") -> None:
    server.register_client(CLIENT_ID, CLIENT_SECRET, callback_url(upstream_id))
    upstream = configure(
        "github",
        id=upstream_id,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        authorization_endpoint=server.authorization_endpoint,
        token_endpoint=server.token_endpoint,
        userinfo_endpoint=server.userinfo_endpoint,
        now=utc_now(),
    )
    await provider.federation.upstreams.add_upstream(upstream)


async def shop(provider: Provider, **changes: Any) -> RelyingParty:
    """A first-party client (no consent page), as most tests want it."""
    return await register_rp(provider, first_party=True, **changes)


async def login_page(browser: Browser, params: dict[str, str]) -> httpx.Response:
    started = await browser.authorize(params)
    assert started.status_code == 302, started.text
    return await browser.open(started.headers["location"])


async def leave_for(browser: Browser, page: httpx.Response, upstream_id: str) -> str:
    """Press "Continue with ..." on `page`: the upstream's authorization URL."""
    response = await browser.submit(page, "/login/upstream", upstream=upstream_id)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def come_back(browser: Browser, authorization_url: str) -> httpx.Response:
    """The upstream signs its person in and sends the browser to our callback, which the
    browser opens: our answer to the callback."""
    params = await upstream_answer(authorization_url)
    return await browser.open(f"{_callback_of(authorization_url)}?{httpx.QueryParams(params)}")


def _callback_of(authorization_url: str) -> str:
    return dict(parse_qsl(urlsplit(authorization_url).query))["redirect_uri"]


async def sign_in_through(
    browser: Browser, params: dict[str, str], upstream_id: str = "acme"
) -> httpx.Response:
    """A whole sign-in through an upstream: the answer to its callback."""
    page = await login_page(browser, params)
    return await come_back(browser, await leave_for(browser, page, upstream_id))


async def user_count(provider: Provider) -> int:
    async with provider.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(UserRow)) or 0)


async def links_of(provider: Provider, sub: str) -> list[LinkedIdentity]:
    return list(await provider.federation.links.links_of(sub))


async def follow(browser: Browser, response: httpx.Response) -> httpx.Response:
    while response.is_redirect:
        response = await browser.open(response.headers["location"])
    return response


async def account_login_page(browser: Browser) -> httpx.Response:
    """Where /account sends a browser that is not signed in: the sign-in page."""
    return await follow(browser, await browser.open("/account"))
