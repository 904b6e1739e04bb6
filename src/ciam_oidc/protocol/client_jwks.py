"""The public keys a `private_key_jwt` client registers, and the ones that may check its
assertions (RFC 7591 §2 `jwks`, RFC 7517 §5, OpenID Connect Core §9).

The set is checked once, at registration: only public signing keys that one of the accepted
assertion algorithms can use. A private member (`d`, the RSA primes, an `oct` key's `k`) is
refused outright rather than stripped, since whoever sent it has already exposed the key.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import JWKRegistry, Key

from ciam_oidc.protocol.errors import InvalidClientMetadata

MAX_KEYS = 10
# RFC 7517 §9.2 and RFC 7518 §6: the members that make a JWK private (or symmetric).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# The key each private_key_jwt algorithm needs: (kty, crv); RFC 7518 §3, RFC 9864 §2.
KEY_FOR_ALG: Mapping[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "Ed25519": ("OKP", "Ed25519"),
}
_USABLE = {(kty, crv) for kty, crv in KEY_FOR_ALG.values()}


def check_client_jwks(jwks: Any) -> dict[str, Any]:
    """A JWK Set of 1 to MAX_KEYS public signing keys, with distinct `kid`s."""
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_KEYS:
        raise InvalidClientMetadata(f"jwks must be a JWK Set of 1 to {MAX_KEYS} keys")
    checked = [_check_public_signing_key(jwk) for jwk in keys]
    kids = [jwk["kid"] for jwk in checked if "kid" in jwk]
    if len(kids) != len(set(kids)):
        raise InvalidClientMetadata("jwks: each key needs its own kid")
    return {"keys": checked}


def _check_public_signing_key(jwk: Any) -> dict[str, Any]:
    if not isinstance(jwk, Mapping):
        raise InvalidClientMetadata("jwks: every key must be a JSON object")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise InvalidClientMetadata("jwks must hold public keys only, never private ones")
    kty = jwk.get("kty")
    crv = None if kty == "RSA" else jwk.get("crv")
    if not isinstance(kty, str) or not isinstance(crv, str | None) or (kty, crv) not in _USABLE:
        raise InvalidClientMetadata("jwks: keys must be RSA, EC P-256 or OKP Ed25519")
    if jwk.get("use", "sig") != "sig":
        raise InvalidClientMetadata("jwks: a key's use must be sig")
    alg = jwk.get("alg")
    if alg is not None and (not isinstance(alg, str) or KEY_FOR_ALG.get(alg) != (kty, crv)):
        raise InvalidClientMetadata(
            f"jwks: a key's alg must suit its type, among {', '.join(KEY_FOR_ALG)}"
        )
    if "kid" in jwk and not (isinstance(jwk["kid"], str) and 0 < len(jwk["kid"]) <= 200):
        raise InvalidClientMetadata("jwks: kid must be a string of 1 to 200 characters")
    try:
        # joserfc warns about weak keys (RSA under 2048 bits): here that is a refusal.
        with warnings.catch_warnings():
            warnings.simplefilter("error", SecurityWarning)
            key = JWKRegistry.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError, SecurityWarning) as error:
        raise InvalidClientMetadata(f"jwks: unusable key ({error})") from None
    if key.is_private:
        raise InvalidClientMetadata("jwks must hold public keys only, never private ones")
    return dict(jwk)


def verification_keys(jwks: Mapping[str, Any], alg: str, kid: str | None) -> list[Key]:
    """The registered keys that may have signed with `alg`; with no `kid`, every such key."""
    kty, crv = KEY_FOR_ALG[alg]
    return [
        JWKRegistry.import_key(dict(jwk))
        for jwk in jwks.get("keys", ())
        if jwk.get("kty") == kty
        and (crv is None or jwk.get("crv") == crv)
        and (kid is None or jwk.get("kid") == kid)
        and jwk.get("use", "sig") == "sig"
        and jwk.get("alg", alg) == alg
    ]
