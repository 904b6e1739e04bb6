"""The person at the browser: Chromium signs in on the provider's pages, and the redirects
meant for the suite's callback URLs are answered by the browser itself (Playwright routes), so
the harness needs no listener of its own and uses the very URIs the suite registers."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self
from urllib.parse import parse_qsl, urlsplit

from playwright.async_api import Browser, BrowserContext, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WAIT_S = 15.0
POLL_S = 0.05


@dataclass(frozen=True)
class Arrival:
    """One request the browser made to the suite (the relying party)."""

    url: str
    method: str
    params: dict[str, str]
    """Query parameters, the fragment's parameters, or the form_post body."""
    mode: str  # "query" | "fragment" | "form_post"


@dataclass(frozen=True)
class Visit:
    arrival: Arrival
    signed_in: bool
    """Whether the provider asked the person to sign in on the way."""


@dataclass
class Person:
    """One browser profile (its own cookies) of the seeded test user."""

    context: BrowserContext
    page: Page
    email: str
    password: str
    suite: str
    arrivals: list[tuple[str, str, str | None]] = field(default_factory=list)

    @classmethod
    async def open(
        cls, browser: Browser, email: str, password: str, suite: str, provider: str
    ) -> Self:
        context = await browser.new_context()
        context.set_default_timeout(WAIT_S * 1000)
        person = cls(context, await context.new_page(), email, password, suite)
        await context.route(f"{suite}/**", person._answer)
        await context.route(f"{provider}/**", person._through_provider)
        return person

    async def close(self) -> None:
        await self.context.close()

    async def _answer(self, route: Route) -> None:
        request = route.request
        self.arrivals.append((request.url, request.method, request.post_data))
        await route.fulfill(status=200, content_type="text/html", body="<p>relying party</p>")

    async def _through_provider(self, route: Route) -> None:
        """Chromium does not route a request it makes to follow a redirect, so a redirect to
        the suite is caught here, at the provider's answer, before the browser follows it."""
        answer = await route.fetch(max_redirects=0)
        location = answer.headers.get("location", "")
        if 300 <= answer.status < 400 and location.startswith(self.suite):
            self.arrivals.append((location, "GET", None))
            await route.fulfill(status=200, content_type="text/html", body="<p>relying party</p>")
            return
        await route.fulfill(response=answer)

    async def visit(self, url: str, *, may_sign_in: bool = True) -> Visit:
        """Open `url` and do what the person would until the browser reaches the suite."""
        self.arrivals.clear()
        await self.page.goto(url)
        return await self._follow(signed_in=False, may_sign_in=may_sign_in)

    async def open_and_wait(self, url: str, prefix: str) -> Arrival:
        """Open a provider page and wait for a request it makes (e.g. from an iframe) to the
        suite URL `prefix`; confirms a sign-out if the page asks."""
        self.arrivals.clear()
        await self.page.goto(url)
        await self.confirm_sign_out_if_asked()
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for arrived, method, _body in self.arrivals:
                if arrived.startswith(prefix):
                    return Arrival(
                        arrived, method, dict(parse_qsl(urlsplit(arrived).query)), "query"
                    )
            await asyncio.sleep(POLL_S)
        raise TimeoutError(f"the provider's page never loaded {prefix}")

    async def follow_without_signing_in(self) -> Visit:
        """Wait for the browser, already on its way, to reach the suite."""
        return await self._follow(signed_in=False, may_sign_in=False)

    async def _follow(self, *, signed_in: bool, may_sign_in: bool) -> Visit:
        deadline = time.monotonic() + WAIT_S
        while not self.arrivals:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"no redirect to the relying party; the browser is at {self.page.url}"
                )
            if may_sign_in and await self._sign_in_if_asked():
                signed_in = True
            await self._allow_if_asked()
            await asyncio.sleep(POLL_S)
        return Visit(await self._arrival(), signed_in)

    async def visit_by_post(self, url: str, params: dict[str, str]) -> Visit:
        """Send the authorization request as a form POST (Core §3.1.2.1 allows GET and POST)."""
        self.arrivals.clear()
        await self.page.goto("about:blank")  # a page of no origin: no CSP limits its form
        await self.page.evaluate(
            """([action, params]) => {
                const form = document.createElement("form");
                form.method = "POST";
                form.action = action;
                for (const [name, value] of Object.entries(params)) {
                    const input = document.createElement("input");
                    input.type = "hidden";
                    input.name = name;
                    input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            [url, params],
        )
        return await self._follow(signed_in=False, may_sign_in=True)

    async def _arrival(self) -> Arrival:
        url, method, body = self.arrivals[0]
        if method == "POST":
            return Arrival(url, method, dict(parse_qsl(body or "")), "form_post")
        fragment = urlsplit(url).fragment
        if fragment:
            return Arrival(url, method, dict(parse_qsl(fragment)), "fragment")
        return Arrival(url, method, dict(parse_qsl(urlsplit(url).query)), "query")

    async def _sign_in_if_asked(self) -> bool:
        page = self.page
        password = page.locator("input[name=password]:visible")
        email = page.locator("input[name=email]:visible")
        if await password.count():
            form = page.locator("form").filter(has=password).first
            form_email = form.locator("input[name=email]:visible")
            if await form_email.count():
                await form_email.fill(self.email)
            await form.locator("input[name=password]").fill(self.password)
            await form.locator("button[type=submit]").first.click()
            await page.wait_for_load_state()
            return True
        if await email.count():  # identifier first, password on the next page
            form = page.locator("form").filter(has=email).first
            await email.first.fill(self.email)
            await form.locator("button[type=submit]").first.click()
            await page.wait_for_load_state()
        return False

    async def _allow_if_asked(self) -> None:
        allow = self.page.locator("button[name=decision][value=allow]:visible")
        if await allow.count():
            await allow.first.click()
            await self.page.wait_for_load_state()

    async def confirm_sign_out_if_asked(self) -> None:
        confirm = self.page.locator("button[name=confirm][value=yes]:visible")
        if await confirm.count():
            await confirm.first.click()
            await self.page.wait_for_load_state()
