"""From an upstream's claims to ours: `claim_map` names the upstream claim for each local one
(a missing entry means the same name), and only well-formed values pass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# OpenID Connect Core §5.1: the profile claims an account may be created with.
PROFILE_CLAIMS = ("name", "given_name", "family_name", "locale")
_MAX_CHARS = 256
MAX_EMAIL = 254  # RFC 5321 §4.5.3.1.3: the longest usable path
MAX_SUBJECT = 255  # OpenID Connect Core §2: `sub` is at most 255 ASCII characters


def mapped(source: Mapping[str, Any], claim_map: Mapping[str, str], claim: str) -> Any:
    return source.get(claim_map.get(claim, claim))


def profile(source: Mapping[str, Any], claim_map: Mapping[str, str]) -> dict[str, str]:
    values = {claim: mapped(source, claim_map, claim) for claim in PROFILE_CLAIMS}
    return {
        claim: value.strip()
        for claim, value in values.items()
        if isinstance(value, str) and value.strip() and len(value) <= _MAX_CHARS
    }


def has_email(source: Mapping[str, Any], claim_map: Mapping[str, str]) -> bool:
    return _email(source, claim_map) is not None


def email(
    source: Mapping[str, Any], claim_map: Mapping[str, str], trust_email: bool
) -> tuple[str | None, bool]:
    """The address and whether the upstream vouches for it: `email_verified` true (Apple
    sends the string "true"), or no such claim from an upstream the operator trusts. An
    explicit `false` stays false whatever the trust."""
    address = _email(source, claim_map)
    if address is None:
        return None, False
    verified = mapped(source, claim_map, "email_verified")
    if verified is None:
        return address, trust_email
    return address, verified is True or verified == "true"


def _email(source: Mapping[str, Any], claim_map: Mapping[str, str]) -> str | None:
    value = mapped(source, claim_map, "email")
    if not isinstance(value, str) or "@" not in value or len(value.strip()) > MAX_EMAIL:
        return None
    return value.strip()


def authentication(claims: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """`amr` and `acr` as the upstream stated them (Core §2); whether they count is the
    operator's choice (`Upstream.trust_authn`), made by the service, not here."""
    amr = claims.get("amr")
    methods = tuple(m for m in amr if isinstance(m, str)) if isinstance(amr, list) else ()
    acr = claims.get("acr")
    return methods, acr if isinstance(acr, str) and acr else None
