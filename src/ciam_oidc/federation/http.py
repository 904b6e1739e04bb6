"""HTTP to upstreams: one connection pool, and every failure sorted into what it means.

A transport error or a 5xx means the upstream is down (`UNAVAILABLE`); any other unexpected
answer means it does not accept us as configured (`MISCONFIGURED`). Details name the endpoint
and the status, never a token.
"""

from __future__ import annotations

from typing import Any

import httpx

from ciam_oidc.authn.upstreams import UpstreamError, UpstreamFailure

USER_AGENT = "ciam-oidc"  # GitHub's API refuses requests without a User-Agent
# RFC 6749 §4.1.2.1 and §5.2 error codes (and GitHub's own) that mean our registration or
# request is wrong, and those that mean the upstream is having trouble.
_OUR_MISTAKES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "unauthorized_client",
        "invalid_scope",
        "unsupported_response_type",
        "unsupported_grant_type",
        "incorrect_client_credentials",
        "redirect_uri_mismatch",
        "application_suspended",
    }
)
_OUTAGES = frozenset({"server_error", "temporarily_unavailable"})


class SharedTransport(httpx.AsyncBaseTransport):
    """Lends one pool to short-lived clients (authlib's client holds one sign-in's token, so
    there is one per sign-in); closing such a client leaves the pool to its owner."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        """The owner (`UpstreamClients.aclose`) closes the real transport."""


def unavailable(what: str, error: Exception) -> UpstreamError:
    return UpstreamError(UpstreamFailure.UNAVAILABLE, f"{what}: {type(error).__name__}")


def refusal(what: str, response: httpx.Response) -> UpstreamError:
    """The error for an answer other than 200: a server error is an outage, the rest config."""
    failure = (
        UpstreamFailure.UNAVAILABLE
        if response.status_code >= 500
        else UpstreamFailure.MISCONFIGURED
    )
    return UpstreamError(failure, f"{what} answered HTTP {response.status_code}")


async def get_json(http: httpx.AsyncClient, url: str, what: str) -> Any:
    """GET a JSON document; `what` names the endpoint in errors ("discovery", "JWKS" ...)."""
    label = f"{what} {url}"
    try:
        response = await http.get(url, headers={"Accept": "application/json"})
    except httpx.TransportError as error:  # connection refused, timeouts, TLS
        raise unavailable(label, error) from None
    if response.status_code != 200:
        raise refusal(label, response)
    try:
        return response.json()
    except ValueError:
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"{label}: not JSON") from None


def failure_for(error: str) -> UpstreamFailure:
    """What an OAuth `error` code from the upstream means for the person signing in."""
    if error == "access_denied":
        return UpstreamFailure.CANCELLED
    if error in _OUTAGES:
        return UpstreamFailure.UNAVAILABLE
    if error in _OUR_MISTAKES:
        return UpstreamFailure.MISCONFIGURED
    # invalid_grant, GitHub's bad_verification_code and anything unknown: a code that was
    # used, expired or issued for another verifier -- a replay or mix-up, not our setup.
    return UpstreamFailure.REJECTED
