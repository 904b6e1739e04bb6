"""What every fake OAuth 2.0 server on loopback needs: a real HTTP server in a thread, client
registration and authentication, PKCE, and the two ways to answer an authorization request
(a redirect, or a form_post page)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class LoopbackServer:
    """A Starlette app on uvicorn in a daemon thread, bound before start so the URL is known.

    uvicorn installs signal handlers only on the main thread, so a thread is safe; the socket
    is bound here (port 0) and handed over, which leaves no window for another process to take
    the port between picking and binding it."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((HOST, 0))
        self.port: int = self._socket.getsockname()[1]
        self.base_url = f"http://{HOST}:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def start(self) -> Self:
        config = uvicorn.Config(
            Starlette(routes=self.routes()),
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{type(self).__name__} did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(STOP_TIMEOUT)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(STOP_TIMEOUT)
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class Grant:
    """What an issued code stands for until it is redeemed."""

    client_id: str
    redirect_uri: str
    code_challenge: str | None
    nonce: str | None
    scope: str


class RegisteredClients:
    """Registered clients: id -> (secret, redirect URIs)."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._redirect_uris: dict[str, set[str]] = {}

    def register(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self._secrets[client_id] = secret
        self._redirect_uris.setdefault(client_id, set()).add(redirect_uri)

    def allows(self, client_id: str, redirect_uri: str) -> bool:
        return redirect_uri in self._redirect_uris.get(client_id, set())

    def secret(self, client_id: str) -> str:
        return self._secrets[client_id]

    async def authenticate(self, request: Request, form: Mapping[str, Any]) -> str | None:
        """The client id when client_secret_basic or client_secret_post checks out."""
        client_id, secret = basic_credentials(request) or (
            str(form.get("client_id", "")),
            str(form.get("client_secret", "")),
        )
        expected = self._secrets.get(client_id)
        if expected is None or not hmac.compare_digest(expected, secret):
            return None
        return client_id


def basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    client_id, _, secret = base64.b64decode(value).decode().partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return unquote_plus(client_id), unquote_plus(secret)


async def form_body(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (all these endpoints accept)."""
    return dict(parse_qsl((await request.body()).decode()))


def bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value if scheme.lower() == "bearer" else ""


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirect(uri: str, params: Mapping[str, str]) -> RedirectResponse:
    separator = "&" if urlsplit(uri).query else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(params)}", status_code=302)


def form_post(uri: str, params: Mapping[str, str]) -> HTMLResponse:
    """OAuth 2.0 Form Post Response Mode: a page that posts the response to the client."""
    fields = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in params.items()
    )
    return HTMLResponse(
        '<!doctype html><html><body onload="document.forms[0].submit()">'
        f'<form method="post" action="{escape(uri)}">{fields}'
        "<noscript><button>Continue</button></noscript></form></body></html>"
    )
