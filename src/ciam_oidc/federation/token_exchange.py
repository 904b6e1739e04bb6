"""Redeeming the authorization code (RFC 6749 §4.1.3-4.1.4) with authlib's httpx client.

authlib falls back to plain httpx with a deprecation warning when `httpx2` is absent; this
project uses httpx (its transports are what `UpstreamClients` accepts), so that one warning
is silenced where authlib is imported, and nowhere else.
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx

from ciam_oidc.authn.upstreams import UpstreamError, UpstreamFailure, UpstreamRequest
from ciam_oidc.federation.http import failure_for, refusal, unavailable

with warnings.catch_warnings():
    # authlib's own import adds an "always" filter for its warnings; ours goes in front.
    import authlib.deprecate  # type: ignore[import-untyped]  # noqa: F401

    warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
        OAuthError,
    )

__all__ = ["AsyncOAuth2Client", "redeem_code", "token_auth_method"]


def token_auth_method(preferred: str | None, offered: tuple[str, ...]) -> str:
    """The preset's method, else client_secret_basic when offered (the default when the
    upstream does not say, OpenID Connect Discovery §3), else client_secret_post."""
    if preferred is not None:
        return preferred
    for method in ("client_secret_basic", "client_secret_post"):
        if not offered or method in offered:
            return method
    raise UpstreamError(
        UpstreamFailure.MISCONFIGURED, f"token endpoint offers only {', '.join(offered)}"
    )


async def redeem_code(
    oauth: Any, token_endpoint: str, code: str, request: UpstreamRequest
) -> dict[str, Any]:
    """The token response, or UpstreamError saying whose fault it is."""
    what = f"token endpoint {token_endpoint}"
    try:
        token = await oauth.fetch_token(
            token_endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=request.code_verifier,  # RFC 7636 §4.5
            redirect_uri=request.redirect_uri,
        )
    except httpx.TransportError as error:
        raise unavailable(what, error) from None
    except httpx.HTTPStatusError as error:  # a 5xx, or a body that is not a JSON object
        raise refusal(what, error.response) from None
    except OAuthError as error:
        raise UpstreamError(
            failure_for(str(error.error)), f"{what} answered {error.error!r}"
        ) from None
    except ValueError:
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"{what} answered no JSON") from None
    access_token, token_type = token.get("access_token"), token.get("token_type")
    # RFC 6749 §5.1; RFC 6750: the token is used as a Bearer token at userinfo.
    if not isinstance(access_token, str) or not access_token:
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"{what} sent no access_token")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"{what} sent a non-Bearer token")
    return dict(token)
