"""How answers no well-behaved test server gives (timeouts, HTML, server errors) are reported,
through httpx.MockTransport: each is a person-facing outcome, never an unhandled exception."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ciam_oidc.authn.upstreams import Upstream, UpstreamError, UpstreamFailure, UpstreamRequest
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.federation.client import UpstreamClients
from ciam_oidc.federation.presets import configure

IDP = "https://idp.example"
REQUEST = UpstreamRequest("state-1", "nonce-1", "v" * 43, "https://id.example/federation/x/cb")
CALLBACK = {"state": "state-1", "code": "code-1"}
ACCESS_TOKEN = "access-token-value-zq8"
SECRET = "client-secret-value-k3w"
Handler = Callable[[httpx.Request], httpx.Response]


def oidc() -> Upstream:
    return configure(
        "oidc", id="x", name="X", client_id="c", client_secret=SECRET, issuer=IDP, now=utc_now()
    )


def oauth2() -> Upstream:
    return configure(
        "oauth2",
        id="x",
        name="X",
        client_id="c",
        client_secret=SECRET,
        issuer=IDP,
        authorization_endpoint=f"{IDP}/authorize",
        token_endpoint=f"{IDP}/token",
        userinfo_endpoint=f"{IDP}/me",
        now=utc_now(),
    )


def token_then(userinfo: httpx.Response) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": ACCESS_TOKEN, "token_type": "Bearer"})
        return userinfo

    return handle


async def failure(handler: Handler, upstream: Upstream) -> UpstreamFailure:
    clients = UpstreamClients(5, 60, utc_now, transport=httpx.MockTransport(handler))
    try:
        with pytest.raises(UpstreamError) as caught:
            await clients.finish(upstream, REQUEST, CALLBACK)
    finally:
        await clients.aclose()
    # Details go to the log: they may name endpoints, never a credential.
    assert all(value not in str(caught.value) for value in (ACCESS_TOKEN, SECRET))
    return caught.value.failure


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("upstream too slow", request=request)


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        pytest.param(timeout, UpstreamFailure.UNAVAILABLE, id="timeout"),
        pytest.param(lambda _: httpx.Response(502), UpstreamFailure.UNAVAILABLE, id="502"),
        pytest.param(lambda _: httpx.Response(404), UpstreamFailure.MISCONFIGURED, id="404"),
        pytest.param(
            lambda _: httpx.Response(200, text="<html>"), UpstreamFailure.MISCONFIGURED, id="html"
        ),
        pytest.param(
            lambda _: httpx.Response(200, json=["a"]), UpstreamFailure.MISCONFIGURED, id="array"
        ),
    ],
)
async def test_discovery_failures(handler: Handler, expected: UpstreamFailure) -> None:
    assert await failure(handler, oidc()) is expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(httpx.Response(200, text="<html>"), UpstreamFailure.MISCONFIGURED, id="html"),
        pytest.param(httpx.Response(503, text="busy"), UpstreamFailure.UNAVAILABLE, id="503"),
        pytest.param(
            httpx.Response(400, json={"error": "invalid_grant"}),
            UpstreamFailure.REJECTED,
            id="invalid_grant",
        ),
        pytest.param(
            httpx.Response(400, json={"error": "temporarily_unavailable"}),
            UpstreamFailure.UNAVAILABLE,
            id="temporarily_unavailable",
        ),
        pytest.param(
            httpx.Response(200, json={"access_token": ACCESS_TOKEN, "token_type": "mac"}),
            UpstreamFailure.MISCONFIGURED,
            id="not-bearer",
        ),
    ],
)
async def test_token_endpoint_failures(answer: httpx.Response, expected: UpstreamFailure) -> None:
    assert await failure(lambda _: answer, oauth2()) is expected


@pytest.mark.parametrize(
    ("userinfo", "expected"),
    [
        pytest.param(httpx.Response(401), UpstreamFailure.MISCONFIGURED, id="401"),
        pytest.param(httpx.Response(500), UpstreamFailure.UNAVAILABLE, id="500"),
        pytest.param(
            httpx.Response(200, json={"name": "no id"}), UpstreamFailure.MISCONFIGURED, id="no-sub"
        ),
        pytest.param(
            httpx.Response(200, json={"sub": True}), UpstreamFailure.MISCONFIGURED, id="bool-sub"
        ),
    ],
)
async def test_userinfo_failures(userinfo: httpx.Response, expected: UpstreamFailure) -> None:
    assert await failure(token_then(userinfo), oauth2()) is expected


async def test_an_oauth2_identity_with_a_numeric_subject() -> None:
    userinfo = httpx.Response(200, json={"sub": 42, "email": "a@x.example"})
    clients = UpstreamClients(5, 60, utc_now, transport=httpx.MockTransport(token_then(userinfo)))
    try:
        identity = await clients.finish(oauth2(), REQUEST, CALLBACK)
    finally:
        await clients.aclose()

    assert (identity.issuer, identity.subject) == (IDP, "42")
    assert (identity.email, identity.email_verified) == ("a@x.example", False)
