"""ID token validation, step by step as OpenID Connect Core §3.1.3.7 lists it.

The header is read first only to choose the algorithm and key; nothing in the claims is
believed until the signature checks out under one of the upstream's published keys.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key

from ciam_oidc.authn.upstreams import UpstreamError, UpstreamFailure
from ciam_oidc.federation.claims import MAX_SUBJECT
from ciam_oidc.federation.discovery import TENANT_ID, TENANT_PLACEHOLDER
from ciam_oidc.federation.jwks import SIGNING_ALGS

# Clocks differ a little between the upstream and us (RFC 7519 §4.1.4 allows for it).
LEEWAY = timedelta(seconds=60)


@dataclass(frozen=True)
class Expected:
    issuer: str
    """Exact, or a `{tenantid}` template filled with the token's own `tid`."""
    client_id: str
    nonce: str
    now: datetime
    issuer_aliases: tuple[str, ...] = ()
    """Other spellings of `issuer` the upstream uses in ID tokens (Google's, without https)."""


def rejected(detail: str) -> UpstreamError:
    return UpstreamError(UpstreamFailure.REJECTED, f"ID token: {detail}")


def signing_header(compact: str) -> tuple[str, str | None]:
    """(alg, kid) from the unverified header; refuses `none`, HMAC and anything unlisted
    before any key is looked up (RFC 8725 §3.1: the algorithm is ours to choose)."""
    try:
        header = jws.extract_compact(compact.encode()).headers()
    except (JoseError, ValueError, TypeError, RecursionError):
        raise rejected("not a JWS") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in SIGNING_ALGS or not isinstance(kid, str | None):
        raise rejected(f"alg {alg!r} is not accepted")
    return str(alg), kid


def verified_claims(compact: str, alg: str, keys: Sequence[Key]) -> dict[str, Any]:
    """§3.1.3.7 item 6: the claims, once one of `keys` verifies the signature under `alg`."""
    for key in keys:
        try:
            token = jws.deserialize_compact(compact, key, algorithms=[alg])
            claims = json.loads(token.payload or b"")
        except (JoseError, ValueError, TypeError, RecursionError):
            continue
        if isinstance(claims, dict):
            return claims
    raise rejected("bad signature")


def check_claims(claims: dict[str, Any], expected: Expected) -> str:
    """Items 2-3, 9-11 of §3.1.3.7; returns the issuer the token is from."""
    issuer = _checked_issuer(claims, expected)
    _check_audience(claims, expected.client_id)
    _check_times(claims, expected.now)
    nonce = claims.get("nonce")
    # §3.1.3.7 item 11: ours is single use, so a token minted for another sign-in (or
    # replayed from an earlier one) cannot match.
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, expected.nonce):
        raise rejected("nonce does not match this sign-in")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT:
        raise rejected("no usable sub")
    return issuer


def _checked_issuer(claims: dict[str, Any], expected_by: Expected) -> str:
    """Item 2: `iss` exactly (or a known alias, reported as the issuer itself, so linked
    identities keep one key); for a tenant template, the template filled with `tid`."""
    expected = expected_by.issuer
    if claims.get("iss") in expected_by.issuer_aliases:
        return expected
    if TENANT_PLACEHOLDER in expected:
        tenant = claims.get("tid")
        if not isinstance(tenant, str) or not TENANT_ID.fullmatch(tenant):
            raise rejected("no tid for the tenant issuer template")
        expected = expected.replace(TENANT_PLACEHOLDER, tenant)
    if claims.get("iss") != expected:
        raise rejected(f"iss {str(claims.get('iss'))[:200]!r} is not {expected}")
    return expected


def _check_audience(claims: dict[str, Any], client_id: str) -> None:
    """Items 3-5: our client_id among the audiences; with several, `azp` must name us."""
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise rejected("not issued to this client (aud)")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise rejected("issued to another party (azp)")


def _check_times(claims: dict[str, Any], now: datetime) -> None:
    """Items 9-10: not expired, and not issued in the future."""
    expires, issued = _numeric_date(claims, "exp"), _numeric_date(claims, "iat")
    if expires + LEEWAY <= now:
        raise rejected("expired")
    if issued > now + LEEWAY:
        raise rejected("issued in the future")


def _numeric_date(claims: dict[str, Any], name: str) -> datetime:
    """RFC 7519 §2 NumericDate; both are required in an ID token (Core §2)."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise rejected(f"{name} missing or not a number")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise rejected(f"{name} out of range") from None
