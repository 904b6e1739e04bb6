"""Who signed in at an OpenID Connect upstream: the validated ID token, completed from
userinfo when the token leaves out the email or every profile claim."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ciam_oidc.authn.upstreams import (
    Upstream,
    UpstreamError,
    UpstreamFailure,
    UpstreamIdentity,
    UpstreamRequest,
)
from ciam_oidc.federation import claims as mapping
from ciam_oidc.federation.discovery import Endpoints
from ciam_oidc.federation.http import get_json
from ciam_oidc.federation.id_token import (
    Expected,
    check_claims,
    signing_header,
    verified_claims,
)
from ciam_oidc.federation.jwks import UpstreamKeys
from ciam_oidc.federation.presets import Preset


@dataclass(frozen=True)
class OidcSignIn:
    """One callback's material: what came back and what we expected."""

    upstream: Upstream
    preset: Preset
    endpoints: Endpoints
    request: UpstreamRequest
    response: Mapping[str, str]
    now: datetime


async def validated_id_token(
    keys: UpstreamKeys, sign_in: OidcSignIn, token: Mapping[str, Any]
) -> tuple[dict[str, Any], str]:
    """OpenID Connect Core §3.1.3.7: (claims, issuer) of the token response's ID token."""
    compact = token.get("id_token")
    if not isinstance(compact, str):
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, "no id_token (is openid a scope?)")
    if sign_in.endpoints.jwks_uri is None:
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, "no jwks_uri is known")
    alg, kid = signing_header(compact)
    claims = verified_claims(
        compact, alg, await keys.verification_keys(sign_in.endpoints.jwks_uri, alg, kid)
    )
    expected = Expected(
        sign_in.endpoints.issuer,
        sign_in.upstream.client_id,
        sign_in.request.nonce,
        sign_in.now,
        # A preset's aliases stand for its own issuer, not one the operator put in its place.
        sign_in.preset.issuer_aliases if sign_in.upstream.issuer == sign_in.preset.issuer else (),
    )
    return claims, check_claims(claims, expected)


async def oidc_identity(
    oauth: Any, keys: UpstreamKeys, sign_in: OidcSignIn, token: Mapping[str, Any]
) -> UpstreamIdentity:
    upstream, claim_map = sign_in.upstream, sign_in.upstream.claim_map
    claims, issuer = await validated_id_token(keys, sign_in, token)
    extra: Mapping[str, Any] = {}
    wants_more = not mapping.has_email(claims, claim_map) or not mapping.profile(claims, claim_map)
    if wants_more and sign_in.endpoints.userinfo is not None:
        extra = await _userinfo(oauth, sign_in.endpoints.userinfo, claims["sub"])
    # The address and its verification come from one source, never mixed.
    source = claims if mapping.has_email(claims, claim_map) else extra
    email, email_verified = mapping.email(source, claim_map, upstream.trust_email)
    callback = sign_in.preset.callback_profile
    profile = {
        **(callback(sign_in.response) if callback else {}),
        **mapping.profile(extra, claim_map),
        **mapping.profile(claims, claim_map),
    }
    amr, acr = mapping.authentication(claims)
    return UpstreamIdentity(
        upstream_id=upstream.id,
        issuer=issuer,
        subject=claims["sub"],
        email=email,
        email_verified=email_verified,
        claims=profile,
        amr=amr,
        acr=acr,
    )


async def _userinfo(oauth: Any, url: str, subject: str) -> Mapping[str, Any]:
    info = await get_json(oauth, url, "userinfo endpoint")
    # OpenID Connect Core §5.3.2: the answer is about the ID token's subject, or unusable.
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise UpstreamError(UpstreamFailure.REJECTED, f"userinfo {url} is about another subject")
    return info
