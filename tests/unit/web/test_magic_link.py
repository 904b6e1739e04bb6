"""Opening an emailed link: GET never spends it, POST does, and another browser is warned."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ciam_oidc.authn.authenticators import Attempt, Verified
from ciam_oidc.crypto.secrets import new_secret
from ciam_oidc.web.csrf import CsrfProtection
from ciam_oidc.web.device_cookie import DeviceCookie
from ciam_oidc.web.magic_link import magic_link_router
from ciam_oidc.web.outcomes import OutcomePages
from ciam_oidc.web.pages import Pages
from tests.conftest import TEST_SECRET
from tests.support.magic_links import DEVICE, FLOW, MagicLinks, magic_links

CLIENT_REDIRECT = "https://rp.example/callback"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def link_app(links: MagicLinks) -> FastAPI:
    """The router with real components; `redeem` finishes the flow as the lead's code will."""
    outcomes = OutcomePages(Pages(), CsrfProtection(TEST_SECRET.encode(), secure=False), "")

    async def redeem(flow_id: str, token: str, request: Request) -> Response:
        result = await links.method.verify(Attempt(flow_id, None), {"token": token})
        if isinstance(result, Verified):
            return PlainTextResponse(f"signed in as {result.sub} in {flow_id}")
        return PlainTextResponse(repr(result), status_code=400)

    async def return_to(flow_id: str) -> str | None:
        return CLIENT_REDIRECT if flow_id == FLOW else None

    app = FastAPI()
    router = magic_link_router(outcomes, links.method, DeviceCookie(False), redeem, return_to)
    app.include_router(router)
    return app


@pytest.fixture
async def links(database_url: str) -> AsyncIterator[MagicLinks]:
    async with magic_links(database_url) as links:
        yield links


@pytest.fixture
async def browser(links: MagicLinks) -> AsyncIterator[httpx.AsyncClient]:
    """The browser that asked for the link: it holds the device cookie."""
    transport = httpx.ASGITransport(app=link_app(links))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        client.cookies.set("ciam_device", DEVICE)
        yield client


@pytest.fixture
async def token(links: MagicLinks) -> str:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    return await links.latest_token()


def csrf_token(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, "the page has no form"
    return found.group(1)


async def test_opening_a_link_spends_nothing(browser: httpx.AsyncClient, token: str) -> None:
    """Mail scanners GET every link; the person must still find it working."""
    first = await browser.get("/login/link", params={"token": token})
    second = await browser.get("/login/link", params={"token": token})
    assert first.status_code == second.status_code == 200
    answer = await browser.post(
        "/login/link", data={"token": token, "csrf_token": csrf_token(second)}
    )
    assert answer.status_code == 200
    assert answer.text.startswith("signed in as ")


async def test_the_requesting_browser_continues_by_itself(
    browser: httpx.AsyncClient, token: str
) -> None:
    page = await browser.get("/login/link", params={"token": token})
    assert "Continue signing in" in page.text
    assert "/magic_link.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # The sign-in ends in a redirect to the client (and on): no form-action may stop it.
    assert "form-action" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


async def test_another_browser_is_told_and_must_press_the_button(
    browser: httpx.AsyncClient, token: str
) -> None:
    browser.cookies.set("ciam_device", new_secret())
    page = await browser.get("/login/link", params={"token": token})
    assert page.status_code == 200
    assert "another browser or device" in page.text
    assert "Sign in on this device" in page.text
    assert "<script" not in page.text
    answer = await browser.post(
        "/login/link", data={"token": token, "csrf_token": csrf_token(page)}
    )
    assert answer.text.startswith("signed in as ")


async def test_a_browser_without_a_device_cookie_counts_as_another(
    browser: httpx.AsyncClient, token: str
) -> None:
    browser.cookies.clear()
    page = await browser.get("/login/link", params={"token": token})
    assert "Sign in on this device" in page.text
    assert "<script" not in page.text


async def test_spending_needs_the_pages_csrf_token(browser: httpx.AsyncClient, token: str) -> None:
    await browser.get("/login/link", params={"token": token})
    refused = await browser.post("/login/link", data={"token": token})
    forged = await browser.post("/login/link", data={"token": token, "csrf_token": "AAAA"})
    assert refused.status_code == forged.status_code == 403
    page = await browser.get("/login/link", params={"token": token})
    assert page.status_code == 200, "a refused POST must leave the link unspent"


async def test_a_spent_link_shows_an_error_page(browser: httpx.AsyncClient, token: str) -> None:
    page = await browser.get("/login/link", params={"token": token})
    form = {"token": token, "csrf_token": csrf_token(page)}
    assert (await browser.post("/login/link", data=form)).status_code == 200
    again = await browser.post("/login/link", data=form)
    reopened = await browser.get("/login/link", params={"token": token})
    for answer in (again, reopened):
        assert answer.status_code == 410
        assert "expired or was already used" in answer.text


@pytest.mark.parametrize("query", [{"token": "made-up"}, {}])
async def test_an_unknown_link_shows_an_error_page(
    browser: httpx.AsyncClient, query: dict[str, str]
) -> None:
    page = await browser.get("/login/link", params=query)
    assert page.status_code == 410
    assert "cannot be used" in page.text
    assert "<form" not in page.text
