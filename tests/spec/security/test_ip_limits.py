"""Limits per network (RFC 6585 §4): past its share a network gets 429 with Retry-After and a
page that says when to come back, before any password is checked or any mail is sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import EventType
from tests.spec.browser import PASSWORD, Browser, RelyingParty, flow_id
from tests.spec.security.conftest import CUSTOMER, ISSUER, BrowserAt, login_page, sign_in

WRONG = "The email address or password is incorrect."
REFUSED = "Too many requests from your network. Try again in 10 minutes."
SIGN_IN_LIMIT = 3
MAIL_LIMIT = 2


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "dev_mailbox": True,
        "ip_limit_window": 600,
        "ip_sign_in_limit": SIGN_IN_LIMIT,
        "ip_mail_limit": MAIL_LIMIT,
        "login_max_failures": 100,
        "login_delay_after": 100,
    }


async def use_up_sign_ins(browser: Browser, rp: RelyingParty) -> None:
    for _ in range(SIGN_IN_LIMIT):
        assert WRONG in (await sign_in(browser, rp, CUSTOMER, "guess")).text


async def ask_for_link(browser: Browser, rp: RelyingParty) -> httpx.Response:
    page = await login_page(browser, rp)
    return await browser.submit(page, "/login", method="magic_link", email=CUSTOMER)


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert 590 <= int(response.headers["retry-after"]) <= 600
    assert response.headers["content-type"].startswith("text/html")
    assert REFUSED in response.text


async def test_past_its_sign_in_limit_a_network_gets_429_and_nothing_is_checked(
    browser_at: BrowserAt, rp: RelyingParty, provider: Provider
) -> None:
    async with browser_at("203.0.113.5") as browser:
        await use_up_sign_ins(browser, rp)
        refused = await sign_in(browser, rp, CUSTOMER, PASSWORD)
    assert_refused(refused)
    assert "set-cookie" not in refused.headers  # no session, not even a CSRF cookie
    attempts = await provider.audit.store.events(
        types=[EventType.SIGN_IN_FAILED, EventType.SIGN_IN_SUCCEEDED]
    )
    assert [event.type for event in attempts] == [EventType.SIGN_IN_FAILED] * SIGN_IN_LIMIT


async def test_other_networks_are_not_affected(browser_at: BrowserAt, rp: RelyingParty) -> None:
    async with browser_at("203.0.113.5") as crowded:
        await use_up_sign_ins(crowded, rp)
    async with browser_at("198.51.100.7") as other:
        assert (await sign_in(other, rp, CUSTOMER, PASSWORD)).status_code == 303


async def test_an_ipv6_customer_is_limited_by_its_64(
    browser_at: BrowserAt, rp: RelyingParty
) -> None:
    async with browser_at("2001:db8:1:2::1") as browser:
        await use_up_sign_ins(browser, rp)
    async with browser_at("2001:db8:1:2:abcd::9") as same_customer:
        assert_refused(await sign_in(same_customer, rp, CUSTOMER, PASSWORD))
    async with browser_at("2001:db8:1:3::1") as neighbour:
        assert (await sign_in(neighbour, rp, CUSTOMER, PASSWORD)).status_code == 303


async def test_every_sign_in_form_counts_toward_the_same_limit(
    browser: Browser, rp: RelyingParty
) -> None:
    for method in ("passkey", "totp", "password"):
        page = await login_page(browser, rp)
        await browser.submit(page, "/login", method=method)
    assert_refused(await sign_in(browser, rp, CUSTOMER, PASSWORD))


async def test_asking_for_sign_in_links_has_its_own_smaller_limit(
    browser: Browser, rp: RelyingParty, provider: Provider
) -> None:
    for _ in range(MAIL_LIMIT):
        assert "we have sent it a sign-in link" in (await ask_for_link(browser, rp)).text
    assert_refused(await ask_for_link(browser, rp))
    assert provider.sign_in.outbox is not None
    assert provider.sign_in.mailbox is not None
    await provider.sign_in.outbox.drain()
    assert len(await provider.sign_in.mailbox.list(limit=10)) == MAIL_LIMIT
    assert (await sign_in(browser, rp, CUSTOMER, PASSWORD)).status_code == 303


async def test_registration_reset_and_sign_in_links_share_the_mail_limit(
    browser: Browser, rp: RelyingParty
) -> None:
    flow = urlencode({"flow": flow_id((await login_page(browser, rp)).text)})
    reset = await browser.open(f"/reset?{flow}")
    assert (await browser.submit(reset, "/reset", email=CUSTOMER)).status_code == 303
    register = await browser.open(f"/register?{flow}")
    registered = await browser.submit(
        register, "/register", email="sam@example.com", password="a passphrase for Sam 42"
    )
    assert registered.status_code == 200
    assert_refused(await ask_for_link(browser, rp))
    reset = await browser.open(f"/reset?{flow}")
    assert_refused(await browser.submit(reset, "/reset", email=CUSTOMER))
