"""Request objects (OpenID Connect Core §6, RFC 9101): `request` by value and `request_uri` by
reference, signed with the client's keys, `none` only where the client registered it.

The provider runs on a loopback issuer here, so that a real HTTP server in the test can serve
request_uri documents and key sets over plain http.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.clients import ClientRequest, register_client
from tests.spec.browser import (
    REDIRECT_URI,
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    callback_params,
    id_token_claims,
    redeem,
)
from tests.spec.http import http_client

ISSUER = "http://localhost"
RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)
EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "ec-1"}, private=True)
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"issuer": ISSUER}


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with http_client(app, ISSUER) as http:
        yield Browser(http)


class DocumentServer:
    """A real HTTP server on loopback: what a client hosts its request objects and keys on."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        documents = self.documents

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = documents.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is for the tests."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def __enter__(self) -> DocumentServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def server() -> Iterator[DocumentServer]:
    with DocumentServer() as running:
        yield running


async def register_rp(provider: Provider, **metadata: Any) -> RelyingParty:
    """A code-flow client with the request object metadata in `metadata` (RSA and EC public
    keys registered by value unless `metadata` says otherwise)."""
    request = ClientRequest(
        name="Shop",
        redirect_uris=(REDIRECT_URI,),
        grant_types=("authorization_code",),
        scope="openid profile email",
    )
    client, secret = register_client(request, utc_now())
    keys = {"keys": [RSA_KEY.as_dict(private=False), EC_KEY.as_dict(private=False)]}
    await provider.clients.add_client(replace(client, **({"jwks": keys} | metadata)))
    return RelyingParty(client.client_id, secret or "")


def object_claims(rp: RelyingParty, **changes: Any) -> dict[str, Any]:
    """Every parameter of an authorization request, as a request object carries them."""
    claims: dict[str, Any] = authorization_params(rp, state="from-object", nonce="n-object")
    claims |= {"iss": rp.client_id, "aud": ISSUER, "exp": int(time.time()) + 300}
    return {name: value for name, value in (claims | changes).items() if value is not None}


def signed(claims: dict[str, Any], key: Key = RSA_KEY, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


def unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}."


def outer(rp: RelyingParty, **parameters: str) -> dict[str, str]:
    """The query beside a request object: what Core §6.1 requires to be there, and the
    redirect_uri that errors in the object can be sent back to."""
    return {
        "client_id": rp.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": REDIRECT_URI,
        **parameters,
    }


async def error_of(browser: Browser, params: dict[str, str]) -> str:
    response = await browser.authorize(params)
    assert response.status_code == 302, response.text
    return callback_params(response)["error"]


async def test_a_signed_request_object_carries_the_whole_request(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider, request_object_signing_alg="RS256")
    request = signed(object_claims(rp, scope="openid"))
    done = await browser.sign_in(await browser.authorize(outer(rp, request=request)))
    response = callback_params(done)
    assert response["state"] == "from-object"
    tokens = await redeem(browser, rp, done)  # the object's redirect_uri and code_challenge
    claims = await id_token_claims(browser, tokens["id_token"])
    assert claims["nonce"] == "n-object"


async def test_an_es256_object_with_claims_inside_is_honoured(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider)
    claims = object_claims(rp, scope="openid", claims={"id_token": {"email": None}})
    done = await browser.sign_in(
        await browser.authorize(outer(rp, request=signed(claims, EC_KEY, "ES256")))
    )
    tokens = await redeem(browser, rp, done)
    assert (await id_token_claims(browser, tokens["id_token"]))["email"] == "alice@example.com"


async def test_parameters_in_the_object_override_the_query(
    browser: Browser, provider: Provider
) -> None:
    """Core §6.3.3; prompt=none inside shows the object's parameters were the ones used."""
    rp = await register_rp(provider)
    request = signed(object_claims(rp, prompt="none"))
    params = outer(rp, request=request, state="from-query", prompt="login")
    response = callback_params(await browser.authorize(params))
    assert response["error"] == "login_required"
    assert response["state"] == "from-object"


async def test_an_unsigned_object_only_from_a_client_that_registered_none(
    browser: Browser, provider: Provider
) -> None:
    registered_none = await register_rp(provider, request_object_signing_alg="none")
    claims = object_claims(registered_none, iss=None, aud=None, prompt="none")
    response = callback_params(
        await browser.authorize(outer(registered_none, request=unsigned(claims)))
    )
    assert response["error"] == "login_required"  # accepted, and read
    assert response["state"] == "from-object"

    other = await register_rp(provider)
    request = unsigned(object_claims(other))
    assert await error_of(browser, outer(other, request=request)) == "invalid_request_object"


async def test_a_client_that_registered_none_cannot_be_impersonated_with_a_signature(
    browser: Browser, provider: Provider
) -> None:
    """Dynamic Client Registration §2: objects not made with the registered alg are refused."""
    rp = await register_rp(provider, request_object_signing_alg="ES256")
    request = signed(object_claims(rp))  # RS256, by a key the client did register
    assert await error_of(browser, outer(rp, request=request)) == "invalid_request_object"


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"iss": None},
        {"aud": "https://other-provider.example"},
        {"aud": None},
        {"exp": int(time.time()) - 3600},
        {"nbf": int(time.time()) + 3600},
        {"client_id": "another-client"},
        {"response_type": "code id_token"},
        {"request_uri": "https://rp.example/nested"},
    ],
)
async def test_objects_that_fail_a_check_are_refused(
    browser: Browser, provider: Provider, changes: dict[str, Any]
) -> None:
    rp = await register_rp(provider)
    request = signed(object_claims(rp, **changes))
    assert await error_of(browser, outer(rp, request=request)) == "invalid_request_object"


@pytest.mark.parametrize("request_object", ["not-a-jwt", "a.b.c.d.e", "e30.e30.e30"])
async def test_objects_that_cannot_be_read_are_refused(
    browser: Browser, provider: Provider, request_object: str
) -> None:
    rp = await register_rp(provider)
    params = outer(rp, request=request_object)
    assert await error_of(browser, params) == "invalid_request_object"


async def test_a_signature_by_another_key_is_refused(browser: Browser, provider: Provider) -> None:
    rp = await register_rp(provider)
    request = signed(object_claims(rp), OTHER_KEY)  # same kid, another key
    assert await error_of(browser, outer(rp, request=request)) == "invalid_request_object"


async def test_a_bad_object_without_a_verified_redirect_uri_is_shown_not_redirected(
    browser: Browser, provider: Provider
) -> None:
    """RFC 6749 §4.1.2.1: no redirect before the redirect_uri is verified; here it only sits
    in an object that does not verify."""
    rp = await register_rp(provider)
    params = outer(rp, request=signed(object_claims(rp), OTHER_KEY))
    del params["redirect_uri"]
    response = await browser.authorize(params)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_request_and_request_uri_together_are_refused(
    browser: Browser, provider: Provider
) -> None:
    rp = await register_rp(provider)
    params = outer(
        rp,
        request=signed(object_claims(rp)),
        request_uri="https://rp.example/ro",
    )
    assert await error_of(browser, params) == "invalid_request"


async def test_a_registered_request_uri_is_fetched_and_used(
    browser: Browser, provider: Provider, server: DocumentServer
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider, request_uris=(server.url("/ro#v1"),))
    server.documents["/ro"] = signed(object_claims(rp, scope="openid")).encode()
    # RFC 9101 §5.2.1: the fragment tells versions apart and is not compared.
    params = outer(rp, request_uri=server.url("/ro#v2"))
    done = await browser.sign_in(await browser.authorize(params))
    assert callback_params(done)["state"] == "from-object"
    tokens = await redeem(browser, rp, done)
    assert (await id_token_claims(browser, tokens["id_token"]))["nonce"] == "n-object"


async def test_keys_registered_by_jwks_uri_verify_the_object(
    browser: Browser, provider: Provider, server: DocumentServer
) -> None:
    server.documents["/jwks"] = json.dumps({"keys": [EC_KEY.as_dict(private=False)]}).encode()
    rp = await register_rp(provider, jwks=None, jwks_uri=server.url("/jwks"))
    request = signed(object_claims(rp, prompt="none"), EC_KEY, "ES256")
    response = callback_params(await browser.authorize(outer(rp, request=request)))
    assert response["error"] == "login_required"  # verified and read
    assert response["state"] == "from-object"


async def test_an_unregistered_request_uri_is_never_fetched(
    browser: Browser, provider: Provider, server: DocumentServer
) -> None:
    rp = await register_rp(provider, request_uris=(server.url("/ro"),))
    server.documents["/elsewhere"] = signed(object_claims(rp)).encode()
    params = outer(rp, request_uri=server.url("/elsewhere"))
    assert await error_of(browser, params) == "invalid_request_uri"


async def test_a_request_uri_that_does_not_answer_is_refused(
    browser: Browser, provider: Provider, server: DocumentServer
) -> None:
    rp = await register_rp(provider, request_uris=(server.url("/gone"),))
    params = outer(rp, request_uri=server.url("/gone"))
    assert await error_of(browser, params) == "invalid_request_uri"


async def test_a_flow_does_not_fetch_its_request_uri_again(
    browser: Browser, provider: Provider, server: DocumentServer
) -> None:
    """What was checked is kept with the sign-in: a one-time request_uri works."""
    await add_customer(provider)
    rp = await register_rp(provider, request_uris=(server.url("/once"),))
    server.documents["/once"] = signed(object_claims(rp, scope="openid")).encode()
    to_login = await browser.authorize(outer(rp, request_uri=server.url("/once")))
    del server.documents["/once"]
    done = await browser.sign_in(to_login)
    assert callback_params(done)["state"] == "from-object"


async def test_discovery_advertises_request_objects(browser: Browser) -> None:
    metadata = (await browser.http.get("/.well-known/openid-configuration")).json()
    assert metadata["request_parameter_supported"] is True
    assert metadata["request_uri_parameter_supported"] is True
    assert metadata["require_request_uri_registration"] is True
    assert {"RS256", "ES256", "none"} <= set(
        metadata["request_object_signing_alg_values_supported"]
    )
