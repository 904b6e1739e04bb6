"""Self-service in a real browser: Debian's Chromium driven by Playwright, against
`ciam-oidc serve` on http://localhost, with mail going to a real SMTP server (aiosmtpd).

The relying party is played by the test: Playwright answers the redirect to its callback
itself, and the test redeems the code at the token endpoint like a client would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

from tests.e2e.processes import (
    ServerProcess,
    Workspace,
    free_ports,
    fresh_workspace,
    parse_json,
    serving,
)
from tests.support.smtp import SmtpServer, smtp_server

CHROMIUM = Path("/usr/bin/chromium")
# docs: /work/shared/design/PITFALLS.md (no sandbox as root, no background traffic)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 15_000
MAIL_WAIT_S = 10.0
PASSWORD = "a long and unusual passphrase 71"
CALLBACK = "/callback"


@dataclass(frozen=True)
class Site:
    """One running provider, its relying party's registration and the mail it sends."""

    issuer: str
    rp_base: str
    client_id: str
    client_secret: str
    smtp: SmtpServer
    server: ServerProcess
    workspace: Workspace

    @property
    def redirect_uri(self) -> str:
        return self.rp_base + CALLBACK

    async def mail_to(self, address: str, count: int = 1) -> list[EmailMessage]:
        """The messages `address` received, waiting (bounded) until there are `count`."""
        for _ in range(int(MAIL_WAIT_S / 0.05)):
            received = [m for m in self.smtp.received if m["To"] == address]
            if len(received) >= count:
                return received
            await asyncio.sleep(0.05)
        raise AssertionError(f"{address} got {len(received)} messages, expected {count}")


def mail_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def link_in(message: EmailMessage, issuer: str) -> str:
    found = re.search(re.escape(issuer) + r"/\S+", mail_text(message))
    assert found, mail_text(message)
    return found[0]


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium as root")
    port, rp_port = free_ports(2)
    issuer, rp_base = f"http://localhost:{port}", f"http://localhost:{rp_port}"
    workspace = fresh_workspace(request, "sqlite", tmp_path_factory.mktemp("browser"))
    workspace = workspace.with_settings(
        CIAM_ISSUER=issuer,
        CIAM_SMTP_HOST=smtp.host,
        CIAM_SMTP_PORT=str(smtp.port),
        CIAM_SMTP_SECURITY="none",
        CIAM_DEV_MAILBOX="false",
    )
    client = workspace.run_json(
        *("clients", "create", "--name", "Shop", "--scope", "openid profile email"),
        *("--redirect-uri", rp_base + CALLBACK),
        *("--post-logout-redirect-uri", rp_base + "/bye"),
        *("--grant-type", "authorization_code", "--grant-type", "refresh_token"),
    )
    with serving(workspace, port) as server:
        yield Site(
            issuer, rp_base, client["client_id"], client["client_secret"], smtp, server, workspace
        )


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=WAIT_MS
        )
        yield browser
        await browser.close()


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile: its own cookies, as a different person or device would have."""
    context = await chromium.new_context()
    context.set_default_timeout(WAIT_MS)
    yield context
    await context.close()


@pytest.fixture
async def chromium_context_2(chromium: Browser) -> AsyncIterator[BrowserContext]:
    """A second browser profile at the same time: another device of the same person."""
    context = await chromium.new_context()
    context.set_default_timeout(WAIT_MS)
    yield context
    await context.close()


@dataclass
class Authorization:
    url: str
    verifier: str
    state: str


def authorization(site: Site, **extra: str) -> Authorization:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": site.client_id,
        "redirect_uri": site.redirect_uri,
        "scope": "openid profile email",
        "state": state,
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        **extra,
    }
    return Authorization(f"{site.issuer}/authorize?{urlencode(params)}", verifier, state)


class Callbacks:
    """The redirects the relying party receives in one page, answered by the browser itself."""

    def __init__(self) -> None:
        self._arrived: asyncio.Queue[str] = asyncio.Queue()

    async def answer(self, route: Route) -> None:
        await self._arrived.put(route.request.url)
        await route.fulfill(status=200, content_type="text/html", body="<p>relying party</p>")

    async def next(self) -> str:
        return await asyncio.wait_for(self._arrived.get(), WAIT_MS / 1000)


async def catch_callback(page: Page, site: Site) -> Callbacks:
    callbacks = Callbacks()
    await page.route(f"{site.rp_base}/**", callbacks.answer)
    return callbacks


async def redeem(site: Site, callback_url: str, auth: Authorization) -> dict[str, Any]:
    """Exchange the code at the token endpoint as the client would; returns the verified ID
    token's claims over what UserInfo says of the person."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
    assert params.get("state") == auth.state, callback_url
    assert "code" in params, callback_url
    async with httpx.AsyncClient(base_url=site.server.base_url) as http:
        tokens = await http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": site.redirect_uri,
                "code_verifier": auth.verifier,
            },
            auth=(site.client_id, site.client_secret),
        )
        assert tokens.status_code == 200, tokens.text
        keys = KeySet.import_key_set((await http.get("/jwks")).json())
        bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        userinfo = (await http.get("/userinfo", headers=bearer)).json()
    id_token = jwt.decode(tokens.json()["id_token"], keys, algorithms=["RS256"]).claims
    assert userinfo["sub"] == id_token["sub"]
    return {**userinfo, **id_token}


async def sign_in_with_password(page: Page, email: str, password: str = PASSWORD) -> None:
    form = page.locator("form").filter(has=page.locator("input[name=password]")).first
    await form.locator("input[name=email]").fill(email)
    await form.locator("input[name=password]").fill(password)
    await form.locator("button[type=submit]").click()


async def allow_if_asked(page: Page) -> None:
    """Once the sign-in form is answered: allow the client if the consent page comes."""
    await page.wait_for_url(lambda url: "/login" not in url)
    await page.wait_for_load_state()
    allow = page.locator("button[name=decision][value=allow]")
    if await allow.count():
        await allow.click()


def create_user(site: Site, email: str, password: str = PASSWORD) -> dict[str, Any]:
    result = site.workspace.run(
        "users",
        "create",
        "--email",
        email,
        "--email-verified",
        "--password-stdin",
        "--json",
        stdin=f"{password}\n",
    )
    created: dict[str, Any] = parse_json(result)
    return created
