"""Abuse protections seen from outside: pages under an https issuer, mail kept in the dev
mailbox, and browsers that can come from any client address (`browser_at`)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from tests.spec.browser import (
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    register_rp,
)
from tests.support.clock import Clock

ISSUER = "https://id.example.com"
CUSTOMER = "alice@example.com"
STRANGER = "nobody@example.com"

BrowserAt = Callable[[str], AbstractAsyncContextManager[Browser]]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"issuer": ISSUER, "dev_mailbox": True}


@pytest.fixture
def browser_at(app: FastAPI) -> BrowserAt:
    """A browser whose requests come from `ip` (what uvicorn would report as the client)."""

    @asynccontextmanager
    async def at(ip: str) -> AsyncIterator[Browser]:
        transport = httpx.ASGITransport(app=app, client=(ip, 50_000))
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
            yield Browser(http)

    return at


@pytest.fixture
async def browser(browser_at: BrowserAt) -> AsyncIterator[Browser]:
    async with browser_at("192.0.2.10") as browser:
        yield browser


@pytest.fixture
async def rp(provider: Provider) -> RelyingParty:
    await add_customer(provider, CUSTOMER)
    return await register_rp(provider)


@pytest.fixture
def throttle_clock(provider: Provider) -> Clock:
    """Moves the password throttle's time by hand; everything else keeps real time, so sign-in
    pages do not expire when the test jumps a quarter of an hour ahead."""
    clock = Clock(utc_now())
    method: Any = provider.sign_in.methods.get("password")
    method.throttle = replace(method.throttle, clock=clock)
    return clock


async def login_page(browser: Browser, rp: RelyingParty) -> httpx.Response:
    """A fresh sign-in page (each attempt in these tests starts its own sign-in)."""
    start = await browser.authorize(authorization_params(rp, prompt="login"))
    return await browser.open(start.headers["location"])


async def sign_in(browser: Browser, rp: RelyingParty, email: str, password: str) -> httpx.Response:
    page = await login_page(browser, rp)
    return await browser.submit(page, "/login", email=email, password=password)


_PER_PAGE = re.compile(
    r'(?:name="(?:csrf_token|flow|registration)" value="|"challenge": ")([^"]+)"'
)


def masked(html: str) -> str:
    """A page without what differs on every page shown, wherever it appears: its CSRF token,
    its flow id (also in links), a registration's id and the passkey challenge (random for
    every sign-in)."""
    for value in set(_PER_PAGE.findall(html)):
        html = html.replace(value, "…")
    return html
