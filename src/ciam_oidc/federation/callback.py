"""The callback's parameters (query or form_post), checked before the code is redeemed."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ciam_oidc.authn.upstreams import UpstreamError, UpstreamFailure, UpstreamRequest
from ciam_oidc.federation.discovery import Endpoints, fits_issuer
from ciam_oidc.federation.http import failure_for


def authorization_code(
    response: Mapping[str, str], request: UpstreamRequest, endpoints: Endpoints
) -> str:
    """The code, when the response belongs to this sign-in and is a success."""
    # RFC 6749 §10.12: the state binds the response to the browser that started the sign-in.
    if not hmac.compare_digest(response.get("state", "").encode(), request.state.encode()):
        raise UpstreamError(UpstreamFailure.REJECTED, "state does not match")
    _check_iss(response.get("iss"), endpoints)
    error = response.get("error")
    if error is not None:
        raise UpstreamError(failure_for(error), f"authorization endpoint answered {error[:64]!r}")
    code = response.get("code")
    if not code:
        raise UpstreamError(UpstreamFailure.REJECTED, "no code in the response")
    return code


def _check_iss(iss: str | None, endpoints: Endpoints) -> None:
    """RFC 9207 §2.4: required when the upstream promises it; compared whenever present, so
    a response from another upstream (mix-up attack) is refused."""
    if iss is None:
        if endpoints.iss_parameter_supported:
            raise UpstreamError(UpstreamFailure.REJECTED, "iss parameter missing")
        return
    if not fits_issuer(endpoints.issuer, iss):
        raise UpstreamError(UpstreamFailure.REJECTED, f"iss parameter {iss[:200]!r} is not ours")
