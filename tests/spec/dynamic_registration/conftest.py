"""Fixtures for dynamic registration: the client's own web server publishing its documents,
and initial access tokens as an operator hands them out."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.secrets import digest_secret, new_secret
from ciam_oidc.store.client_registration import SqlInitialAccessTokenStore

REGISTER = "/connect/register"


class DocumentServer:
    """The client's web server on loopback: serves JSON documents by path, 404 otherwise."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        documents = self.documents

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = documents.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is for the tests."""

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._http.server_port}"

    def publish(self, path: str, document: Any) -> str:
        """Serve `document` as JSON at `path`; its URL."""
        self.documents[path] = json.dumps(document).encode()
        return self.base + path

    def __enter__(self) -> DocumentServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def client_site() -> Iterator[DocumentServer]:
    with DocumentServer() as server:
        yield server


async def initial_token(provider: Provider, ttl: timedelta | None = None) -> str:
    """What `ciam-oidc clients initial-token` does: store a digest, hand out the token."""
    token, now = new_secret(), utc_now()
    expires_at = now + ttl if ttl is not None else None
    store = SqlInitialAccessTokenStore(provider.database)
    await store.add_initial_token(digest_secret(token), "tests", now, expires_at)
    return token


async def register(
    http: httpx.AsyncClient, body: dict[str, Any], token: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post(REGISTER, json=body, headers=headers)


def web_app(**changes: Any) -> dict[str, Any]:
    """A typical registration request: a web app using the code flow."""
    return {
        "client_name": "Shop",
        "redirect_uris": ["https://shop.example/callback"],
        **changes,
    }


def assert_error(response: httpx.Response, error: str) -> None:
    """RFC 7591 §3.2.2: 400, a JSON error code and a description."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error, body
    assert body["error_description"]
