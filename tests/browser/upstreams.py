"""Upstream identity providers for the federation journeys, and the clicks a person makes at them.

Two independent upstreams sign people in for `ciam-oidc serve` (provider A, on
http://localhost): a second `ciam-oidc serve` ("workspace B") and npm's oidc-provider
(`tests/interop/upstream_provider.mjs`). Both listen on http://127.0.0.1, another site than A
for the browser: their cookies and A's never share a jar (cookies ignore ports), and a
form_post from the upstream to A is the cross-site POST it is in production (Apple).
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import select
import signal
import socket
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Page

from tests.e2e.processes import Invocation, Workspace
from tests.interop.conftest import INTEROP_DIR

UPSTREAM_SCRIPT = INTEROP_DIR / "upstream_provider.mjs"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
CALLBACK_WAIT_S = 15.0
ALLOW = "button[name=decision][value=allow]"  # our consent page (at B)


def federation_callback(issuer: str, upstream_id: str) -> str:
    """Where upstream `upstream_id` sends the browser back to provider `issuer`."""
    return f"{issuer}/federation/{upstream_id}/callback"


def create_idp(workspace: Workspace, upstream_id: str, *args: str) -> Invocation:
    """`ciam-oidc idps create ID ARGS --json`, to run (alone or concurrently) later."""
    return Invocation(workspace, ("idps", "create", upstream_id, *args, "--json"))


def secret_file(workspace: Workspace, name: str, secret: str) -> Path:
    """A file only its owner reads, as an operator hands a client secret to the CLI."""
    path = workspace.directory / name
    path.write_text(secret)
    path.chmod(0o600)
    return path


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class RelyingParty:
    """The relying party's redirect target as a real HTTP server on loopback, so the
    browser's last redirect lands somewhere real.

    Not a Playwright route: with Playwright 1.65 and Chromium 156 a route misses a redirected
    navigation now and then (the browser then connects and fails), and a journey through an
    upstream ends in exactly such a redirect. Chromium may try ::1 or 127.0.0.1 for
    "localhost", so it listens on both where it can."""

    def __init__(self, port: int) -> None:
        self.base_url = f"http://localhost:{port}"
        self._arrived: queue.Queue[str] = queue.Queue()
        self._servers: list[ThreadingHTTPServer] = []
        handler = self._handler()
        for server_class, host in ((ThreadingHTTPServer, "127.0.0.1"), (_IPv6Server, "::1")):
            try:
                self._servers.append(server_class((host, port), handler))
            except OSError:
                if host == "127.0.0.1":
                    raise

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        arrived, base_url = self._arrived, self.base_url

        class Answer(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                arrived.put(base_url + self.path)
                body = b"<!doctype html><title>RP</title><p>relying party</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests assert on what arrived, not on a log."""

        return Answer

    def __enter__(self) -> Self:
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    async def callback(self, state: str) -> str:
        """The URL of the redirect that answers the request with `state` (bounded wait);
        answers to other requests, such as an earlier test's, are passed over."""
        deadline = asyncio.get_running_loop().time() + CALLBACK_WAIT_S
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                url = await asyncio.to_thread(self._arrived.get, True, remaining)
            except queue.Empty:
                break
            if parse_qs(urlsplit(url).query).get("state") == [state]:
                return url
        raise AssertionError(f"no redirect with state {state!r} within {CALLBACK_WAIT_S} s")


@dataclass(frozen=True)
class UpstreamAccount:
    """The one person oidc-provider knows; `login` is what they type on its sign-in page."""

    login: str
    email: str
    name: str


class NodeOidcProvider:
    """`node upstream_provider.mjs` on a loopback port: started, awaited, stopped, all bounded.

    Its stderr (oidc-provider's warnings, any crash) goes to a file beside the workspace and
    into the failure message when it does not start."""

    def __init__(
        self,
        node: str,
        port: int,
        client: tuple[str, str],
        redirect_uris: list[str],
        account: UpstreamAccount,
        log_dir: Path,
    ) -> None:
        client_id, client_secret = client
        env = {name: value for name, value in os.environ.items() if not name.startswith("UP_")}
        env |= {
            "UP_PORT": str(port),
            "UP_CLIENT_ID": client_id,
            "UP_CLIENT_SECRET": client_secret,
            "UP_REDIRECT_URIS": " ".join(redirect_uris),
            "UP_ACCOUNT_ID": account.login,
            "UP_ACCOUNT_EMAIL": account.email,
            "UP_ACCOUNT_NAME": account.name,
        }
        self._stderr_path = log_dir / f"oidc-provider-{port}.stderr.log"
        with self._stderr_path.open("w") as stderr:
            self._process = subprocess.Popen(
                [node, str(UPSTREAM_SCRIPT)],
                cwd=INTEROP_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        self.issuer = ""

    def __enter__(self) -> Self:
        try:
            self.issuer = self._announced_issuer()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _announced_issuer(self) -> str:
        """The issuer from the line the script prints once it listens."""
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT_S)
        line = self._process.stdout.readline() if ready else b""
        if not line:
            raise AssertionError(
                f"{UPSTREAM_SCRIPT.name} did not start within {START_TIMEOUT_S} s "
                f"(exit {self._process.poll()}):\n{self._stderr_path.read_text()}"
            )
        issuer: str = json.loads(line)["issuer"]
        return issuer

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(STOP_TIMEOUT_S)
        if self._process.stdout is not None:
            self._process.stdout.close()


async def continue_with(page: Page, upstream_id: str, name: str, upstream_issuer: str) -> None:
    """Press "Continue with NAME" on A's sign-in page and arrive at the upstream."""
    button = page.locator(f'button[name=upstream][value="{upstream_id}"]')
    assert f"Continue with {name}" in await button.inner_text(), await page.content()
    await button.click()
    await page.wait_for_url(f"{upstream_issuer}/**")


async def sign_in_at_oidc_provider(page: Page, account: UpstreamAccount) -> None:
    """oidc-provider's development pages: the login (any password), then "Continue"."""
    await page.locator("input[name=login]").fill(account.login)
    await page.locator("input[name=password]").fill("any password: the dev page ignores it")
    async with page.expect_navigation():
        await page.locator("button[type=submit]").click()
    consent = page.locator("form:has(input[name=prompt][value=consent]) button[type=submit]")
    await consent.click()


async def allow_when_asked(page: Page, arrived: Callable[[str], bool]) -> None:
    """Once the page is where `arrived` says: allow the client if our consent page asks."""
    await page.wait_for_url(arrived)
    await page.wait_for_load_state()
    allow = page.locator(ALLOW)
    if await allow.count():
        await allow.click()
