"""Guessing one account's password (NIST SP 800-63B §5.2.2): a few guesses at once, then
doubling waits, then a lock for the window; alike whether the address has an account or not.

Only the password throttle's clock is moved by hand (`throttle_clock`), so waits of seconds and
a lock of 15 minutes pass without sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import EventType
from tests.spec.browser import PASSWORD, Browser, RelyingParty
from tests.spec.security.conftest import CUSTOMER, ISSUER, STRANGER, login_page, masked, sign_in
from tests.support.clock import Clock

WRONG = "The email address or password is incorrect."
SECOND = timedelta(seconds=1)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "dev_mailbox": True,
        "login_delay_after": 3,
        "login_max_failures": 5,
        "login_failure_window": 900,
        "ip_sign_in_limit": 10_000,
    }


async def guess_until_locked(browser: Browser, rp: RelyingParty, clock: Clock, email: str) -> None:
    """Five wrong passwords: three at once, then one after 1 s and one after 2 s more."""
    for wait in (0, 0, 0, 1, 2):
        clock.advance(wait * SECOND)
        assert WRONG in (await sign_in(browser, rp, email, "guess")).text


@pytest.mark.parametrize("email", [CUSTOMER, STRANGER])
async def test_guesses_lock_the_address_for_a_while_whether_or_not_it_has_an_account(
    browser: Browser, rp: RelyingParty, throttle_clock: Clock, email: str
) -> None:
    for _ in range(3):
        assert WRONG in (await sign_in(browser, rp, email, "guess")).text
    too_early = await sign_in(browser, rp, email, PASSWORD)
    assert "Too many attempts. Try again in 1 second." in too_early.text
    throttle_clock.advance(SECOND)
    assert WRONG in (await sign_in(browser, rp, email, "guess")).text
    throttle_clock.advance(2 * SECOND)
    assert WRONG in (await sign_in(browser, rp, email, "guess")).text

    locked = await sign_in(browser, rp, email, PASSWORD)
    assert "Too many attempts. Try again in 15 minutes." in locked.text
    throttle_clock.advance(timedelta(minutes=14))
    still = await sign_in(browser, rp, email, PASSWORD)
    assert "Too many attempts. Try again in 1 minute." in still.text

    throttle_clock.advance(timedelta(minutes=1))
    after = await sign_in(browser, rp, email, PASSWORD)
    if email == CUSTOMER:
        assert after.status_code == 303, after.text  # signed in: on to consent
    else:
        assert WRONG in after.text


async def test_a_locked_account_looks_like_a_locked_unknown_address(
    browser: Browser, rp: RelyingParty, throttle_clock: Clock
) -> None:
    """The right password for a locked account gets exactly what any password for an address
    without an account gets: the lock reveals nothing about who has an account."""
    answers = []
    for email in (CUSTOMER, STRANGER):
        await guess_until_locked(browser, rp, throttle_clock, email)
        answers.append(await sign_in(browser, rp, email, PASSWORD))
    known, unknown = answers
    assert known.status_code == unknown.status_code == 200
    assert "Too many attempts" in known.text
    assert masked(known.text) == masked(unknown.text)


async def test_the_lock_is_recorded_once_in_the_accounts_activity(
    browser: Browser, rp: RelyingParty, throttle_clock: Clock, provider: Provider
) -> None:
    await guess_until_locked(browser, rp, throttle_clock, CUSTOMER)
    for _ in range(3):
        await sign_in(browser, rp, CUSTOMER, PASSWORD)
    user = await provider.users.find_user_by_email(CUSTOMER)
    assert user is not None
    events = await provider.audit.of(user.sub)
    assert [event.type for event in events].count(EventType.ACCOUNT_LOCKED) == 1


async def test_a_success_clears_the_count(
    browser: Browser, rp: RelyingParty, throttle_clock: Clock
) -> None:
    for _ in range(2):
        await sign_in(browser, rp, CUSTOMER, "guess")
    assert (await sign_in(browser, rp, "Alice@Example.com", PASSWORD)).status_code == 303
    for _ in range(3):
        assert WRONG in (await sign_in(browser, rp, CUSTOMER, "guess")).text


async def test_a_hundred_parallel_guesses_are_counted_one_by_one(
    browser: Browser, rp: RelyingParty, throttle_clock: Clock
) -> None:
    """Every attempt is counted before its password is checked, in one atomic statement: of
    100 guesses sent at once, only the three allowed before the first wait are checked."""
    pages = [await login_page(browser, rp) for _ in range(100)]
    answers = await asyncio.gather(
        *(browser.submit(page, "/login", email=CUSTOMER, password="guess") for page in pages)
    )
    assert sum(WRONG in answer.text for answer in answers) == 3
    assert sum("Try again in 1 second." in answer.text for answer in answers) == 97
