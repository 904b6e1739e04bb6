"""private_key_jwt clients that register their keys by reference, `jwks_uri` (RFC 7591 §2,
OpenID Connect Core §10.1.1): the set is fetched from the client's own HTTP server, kept for a
while, and fetched again when an assertion names a key it lacks, so the client can rotate."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc.jwk import ECKey, Key

from ciam_oidc.settings import Settings
from tests.spec.rfc7523.test_client_assertions import (
    EC_KEY,
    RSA_KEY,
    SECOND_EC_KEY,
    AssertingClient,
    add_client,
    assert_refused,
    assert_token_for,
    machine,
    public_jwks,
    token,
)


class KeyServer:
    """The client's own web server, publishing its JWK Set at /jwks.json."""

    def __init__(self) -> None:
        self.document = b"{}"
        self.status = 200
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server calls
                server.fetches += 1
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.document)))
                self.end_headers()
                self.wfile.write(server.document)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is for the tests."""

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_port}/jwks.json"

    def publish(self, *keys: Key) -> None:
        self.serve(json.dumps(public_jwks(*keys)).encode())

    def serve(self, document: bytes) -> None:
        self.document = document

    def __enter__(self) -> KeyServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    with KeyServer() as server:
        yield server


async def jwks_uri_client(
    app: FastAPI, settings: Settings, url: str, key: Key = EC_KEY, alg: str = "ES256"
) -> AssertingClient:
    client_id, _ = await add_client(app, machine("private_key_jwt", jwks_uri=url))
    return AssertingClient(client_id, key, alg, settings.issuer + "/token")


async def test_a_client_whose_jwks_uri_serves_its_key_gets_a_token(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, key_server: KeyServer
) -> None:
    key_server.publish(EC_KEY, RSA_KEY)
    client = await jwks_uri_client(app, settings, key_server.url)

    assert_token_for(await token(http, client.assertion()), client.client_id)
    assert_token_for(
        await token(http, client.assertion(key=RSA_KEY, alg="RS256")), client.client_id
    )
    assert key_server.fetches == 1  # kept, not fetched for every assertion


async def test_a_rotated_key_is_fetched_when_an_assertion_first_names_it(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, key_server: KeyServer
) -> None:
    key_server.publish(EC_KEY)
    client = await jwks_uri_client(app, settings, key_server.url)
    assert_token_for(await token(http, client.assertion()), client.client_id)

    # Core §10.1.1: the new key is published first, then used; the old one withdrawn.
    key_server.publish(SECOND_EC_KEY)
    response = await token(http, client.assertion(key=SECOND_EC_KEY))

    assert_token_for(response, client.client_id)
    assert key_server.fetches == 2


async def test_an_unknown_kid_fetches_the_set_again_once_and_is_refused(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, key_server: KeyServer
) -> None:
    key_server.publish(EC_KEY)
    client = await jwks_uri_client(app, settings, key_server.url)
    stranger = ECKey.generate_key("P-256", parameters={"kid": "not-published"})

    assert_refused(await token(http, client.assertion(key=stranger)))
    assert key_server.fetches == 2  # the cached set, then one fresh copy


async def test_a_key_of_the_same_kid_that_is_not_the_published_one_is_refused(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, key_server: KeyServer
) -> None:
    key_server.publish(EC_KEY)
    client = await jwks_uri_client(app, settings, key_server.url)
    impostor = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})  # EC_KEY's kid

    assert_refused(await token(http, client.assertion(key=impostor)))


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b'{"keys": []}',
        # Private members: whoever published them has exposed the key.
        json.dumps({"keys": [EC_KEY.as_dict(private=True)]}).encode(),
    ],
    ids=["not-json", "no-keys", "private-key"],
)
async def test_a_jwks_uri_serving_an_unacceptable_set_authenticates_nobody(
    app: FastAPI,
    settings: Settings,
    http: httpx.AsyncClient,
    key_server: KeyServer,
    document: bytes,
) -> None:
    key_server.serve(document)
    client = await jwks_uri_client(app, settings, key_server.url)

    assert_refused(await token(http, client.assertion()))


async def test_a_failing_jwks_uri_authenticates_nobody(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, key_server: KeyServer
) -> None:
    key_server.publish(EC_KEY)
    key_server.status = 500
    client = await jwks_uri_client(app, settings, key_server.url)

    assert_refused(await token(http, client.assertion()))


async def test_an_unreachable_jwks_uri_authenticates_nobody(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    with KeyServer() as gone:
        url = gone.url  # a port that was just open, now closed
    client = await jwks_uri_client(app, settings, url)

    assert_refused(await token(http, client.assertion()))
