"""Who signed in at a plain OAuth 2.0 upstream: its userinfo-style API, mapped by `claim_map`.

Without an ID token nothing is signed: the identity is whatever the upstream's API says for
the access token we just redeemed over TLS, which is why the subject must be its stable id
(GitHub's numeric `id`), never a name the person can change.
"""

from __future__ import annotations

from typing import Any

from ciam_oidc.authn.upstreams import Upstream, UpstreamError, UpstreamFailure, UpstreamIdentity
from ciam_oidc.federation import claims as mapping
from ciam_oidc.federation.http import get_json
from ciam_oidc.federation.presets import Preset


async def oauth2_identity(oauth: Any, upstream: Upstream, preset: Preset) -> UpstreamIdentity:
    url = upstream.userinfo_endpoint or ""
    info = await get_json(oauth, url, "userinfo endpoint")
    if not isinstance(info, dict):
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"userinfo endpoint {url}: no object")
    if preset.email_source is not None:
        email, email_verified = await preset.email_source(oauth, upstream)
    else:
        email, email_verified = mapping.email(info, upstream.claim_map, upstream.trust_email)
    return UpstreamIdentity(
        upstream_id=upstream.id,
        issuer=upstream.issuer or "",
        subject=_subject(info, upstream.claim_map.get("sub", "sub"), url),
        email=email,
        email_verified=email_verified,
        claims=mapping.profile(info, upstream.claim_map),
    )


def _subject(info: dict[str, Any], claim: str, url: str) -> str:
    value = info.get(claim)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= mapping.MAX_SUBJECT:
        return value
    raise UpstreamError(
        UpstreamFailure.MISCONFIGURED, f"userinfo endpoint {url}: no usable {claim!r}"
    )
