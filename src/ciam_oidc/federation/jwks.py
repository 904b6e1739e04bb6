"""An upstream's signing keys (its `jwks_uri`), and the one that may verify a given ID token.

Upstreams rotate keys without notice, so a token naming a key id we do not hold makes us
fetch the set again, once (OpenID Connect Core §10.1.1); the refetch is shared by every
sign-in that needs it at the same moment. A key still missing after that refuses the token.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import JWKRegistry, Key

from ciam_oidc.authn.upstreams import UpstreamError, UpstreamFailure
from ciam_oidc.federation.documents import CachedDocuments, Fetched

# The asymmetric algorithms an upstream may sign ID tokens with, and the key each needs
# (RFC 7518 §3, RFC 8037 §3.1, RFC 9864 §2). Never `none` or an HMAC: an HS256 "signature"
# made with a public key or our client secret proves nothing about the upstream.
KEY_TYPES: Mapping[str, tuple[str, frozenset[str | None]]] = {
    "RS256": ("RSA", frozenset({None})),
    "PS256": ("RSA", frozenset({None})),
    "ES256": ("EC", frozenset({"P-256"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
    "Ed25519": ("OKP", frozenset({"Ed25519"})),
}
SIGNING_ALGS = tuple(KEY_TYPES)


@dataclass(frozen=True)
class PublishedKey:
    jwk: Mapping[str, Any]
    key: Key

    def verifies(self, alg: str, kid: str | None) -> bool:
        kty, curves = KEY_TYPES[alg]
        return (
            self.jwk.get("kty") == kty
            and (None in curves or self.jwk.get("crv") in curves)
            and (kid is None or self.jwk.get("kid") == kid)
            and self.jwk.get("use", "sig") == "sig"
            and self.jwk.get("alg", alg) == alg
        )


def parse_key_set(document: Any, url: str) -> tuple[PublishedKey, ...]:
    """The public signing keys we can use; others (encryption keys, unknown types, RSA keys
    too short to trust) are skipped rather than failing the whole set."""
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"JWKS {url}: not a key set")
    return tuple(key for jwk in keys if (key := _public_key(jwk)) is not None)


def _public_key(jwk: Any) -> PublishedKey | None:
    if not isinstance(jwk, dict) or jwk.get("kty") not in {"RSA", "EC", "OKP"}:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SecurityWarning)
            key = JWKRegistry.import_key(jwk)
    except (JoseError, ValueError, TypeError, SecurityWarning):
        return None
    return None if key.is_private else PublishedKey(jwk, key)


class UpstreamKeys:
    def __init__(self, key_sets: CachedDocuments[tuple[PublishedKey, ...]]) -> None:
        self._key_sets = key_sets

    async def verification_keys(self, jwks_uri: str, alg: str, kid: str | None) -> list[Key]:
        """The keys that may have made this signature: by `kid`, or every key for `alg`
        when the token names none. Raises UpstreamError(REJECTED) when none exists."""
        cached = await self._key_sets.get(jwks_uri)
        keys = _matching(cached, alg, kid)
        if not keys:
            keys = _matching(await self._key_sets.refetch(jwks_uri, cached), alg, kid)
        if not keys:
            raise UpstreamError(
                UpstreamFailure.REJECTED, f"JWKS {jwks_uri} has no {alg} key with kid {kid!r}"
            )
        return keys


def _matching(key_set: Fetched[tuple[PublishedKey, ...]], alg: str, kid: str | None) -> list[Key]:
    return [published.key for published in key_set.value if published.verifies(alg, kid)]
