"""Failed sign-ins are limited per account, alike for existing and unknown accounts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ciam_oidc.app import Provider
from tests.spec.browser import (
    PASSWORD,
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    register_rp,
)
from tests.spec.oidc_core.conftest import ISSUER

THROTTLED = "Too many attempts. Try again in"
WRONG = "The email address or password is incorrect."


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"issuer": ISSUER, "login_max_failures": 3, "login_failure_window": 2}


@pytest.fixture
async def rp(provider: Provider) -> RelyingParty:
    await add_customer(provider)
    return await register_rp(provider)


async def attempt(browser: Browser, rp: RelyingParty, email: str, password: str) -> httpx.Response:
    start = await browser.authorize(authorization_params(rp, prompt="login"))
    page = await browser.open(start.headers["location"])
    return await browser.submit(page, "/login", email=email, password=password)


@pytest.mark.parametrize("email", ["alice@example.com", "nobody@example.com"])
async def test_after_the_limit_even_the_right_password_waits_for_the_window(
    browser: Browser, rp: RelyingParty, email: str
) -> None:
    for _ in range(3):
        assert WRONG in (await attempt(browser, rp, email, "guess")).text
    throttled = await attempt(browser, rp, email, PASSWORD)
    assert THROTTLED in throttled.text
    await asyncio.sleep(2.1)
    after = await attempt(browser, rp, email, PASSWORD)
    if email == "alice@example.com":
        assert after.status_code == 303
    else:
        assert WRONG in after.text


async def test_a_successful_sign_in_resets_the_count(browser: Browser, rp: RelyingParty) -> None:
    for _ in range(2):
        await attempt(browser, rp, "alice@example.com", "guess")
    assert (await attempt(browser, rp, "Alice@Example.com", PASSWORD)).status_code == 303
    for _ in range(2):
        assert WRONG in (await attempt(browser, rp, "alice@example.com", "guess")).text


async def test_parallel_guesses_cannot_slip_past_the_limit(
    browser: Browser, rp: RelyingParty
) -> None:
    pages = []
    for _ in range(8):
        start = await browser.authorize(authorization_params(rp, prompt="login"))
        pages.append(await browser.open(start.headers["location"]))
    answers = await asyncio.gather(
        *(
            browser.submit(page, "/login", email="alice@example.com", password="guess")
            for page in pages
        )
    )
    assert sum(WRONG in answer.text for answer in answers) == 3
    assert sum(THROTTLED in answer.text for answer in answers) == 5
