"""Nobody can tell from our answers whether an address has an account (OWASP ASVS V2.2,
NIST SP 800-63B §5.2.2): signing in with a wrong password, asking for a sign-in link, asking
for a password reset and registering get the same status, the same page and the same time for
an address with an account as for one without.

Timing. Each case sends SAMPLES requests per address, interleaved (known, unknown, known, ...)
so drift in the machine's load hits both alike, after one warm-up of each (the decoy hash is
made on first use), and compares the medians, which one slow request (a garbage collection,
another process) cannot move. The bound, 50 ms, is below what one argon2id check costs here
(m=19 MiB, t=2: 40-100 ms on a 2-core machine), so a path that skipped or added a password
check for one kind of address would fail; and it is far above what honest differences cost
(one indexed lookup, one audit row: a few ms), so a loaded machine does not make it flaky.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from ciam_oidc.app import Provider
from tests.spec.browser import Browser, RelyingParty, flow_id
from tests.spec.security.conftest import CUSTOMER, ISSUER, STRANGER, login_page, masked

SAMPLES = 15
BOUND_SECONDS = 0.050
NEW_PASSWORD = "an unusual passphrase for tests 42"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Limits out of the way: this is about the answers, not about how many are allowed."""
    return {
        "issuer": ISSUER,
        "dev_mailbox": True,
        "login_max_failures": 100,
        "login_delay_after": 100,
        "ip_sign_in_limit": 100_000,
        "ip_mail_limit": 100_000,
    }


@dataclass(frozen=True)
class Answer:
    response: httpx.Response
    seconds: float

    def seen(self, email: str) -> tuple[int, str, str]:
        """What the person sees, without the per-page values and the address they typed."""
        location = self.response.headers.get("location", "")
        location = location.split("?", 1)[0]  # only a flow id follows (masked in bodies)
        return self.response.status_code, location, masked(self.response.text).replace(email, "@")


Attempt = Callable[[str], Awaitable[Answer]]


async def timed_post(browser: Browser, page: httpx.Response, action: str, **fields: str) -> Answer:
    start = time.perf_counter()
    response = await browser.submit(page, action, **fields)
    return Answer(response, time.perf_counter() - start)


async def assert_indistinguishable(attempt: Attempt, provider: Provider) -> None:
    timings: dict[str, list[float]] = {CUSTOMER: [], STRANGER: []}
    for sample in range(SAMPLES + 1):
        seen = {}
        for email in (CUSTOMER, STRANGER):
            answer = await attempt(email)
            # Mail goes out in the background: let it finish outside the timed request.
            assert provider.sign_in.outbox is not None
            await provider.sign_in.outbox.drain()
            seen[email] = answer.seen(email)
            if sample:  # the first round warms up
                timings[email].append(answer.seconds)
        assert seen[CUSTOMER] == seen[STRANGER]
    known, unknown = (statistics.median(timings[email]) for email in (CUSTOMER, STRANGER))
    assert abs(known - unknown) < BOUND_SECONDS, f"median {known:.3f}s vs {unknown:.3f}s"


async def test_a_wrong_password(browser: Browser, rp: RelyingParty, provider: Provider) -> None:
    async def attempt(email: str) -> Answer:
        page = await login_page(browser, rp)
        return await timed_post(browser, page, "/login", email=email, password="wrong guess")

    await assert_indistinguishable(attempt, provider)


async def test_asking_for_a_sign_in_link(
    browser: Browser, rp: RelyingParty, provider: Provider
) -> None:
    async def attempt(email: str) -> Answer:
        page = await login_page(browser, rp)
        return await timed_post(browser, page, "/login", method="magic_link", email=email)

    await assert_indistinguishable(attempt, provider)


async def test_asking_for_a_password_reset(
    browser: Browser, rp: RelyingParty, provider: Provider
) -> None:
    async def attempt(email: str) -> Answer:
        flow = flow_id((await login_page(browser, rp)).text)
        page = await browser.open("/reset?" + urlencode({"flow": flow}))
        return await timed_post(browser, page, "/reset", email=email)

    await assert_indistinguishable(attempt, provider)


async def test_registering(browser: Browser, rp: RelyingParty, provider: Provider) -> None:
    async def attempt(email: str) -> Answer:
        flow = flow_id((await login_page(browser, rp)).text)
        page = await browser.open("/register?" + urlencode({"flow": flow}))
        return await timed_post(
            browser, page, "/register", email=email, password=NEW_PASSWORD, name="Sam"
        )

    await assert_indistinguishable(attempt, provider)
