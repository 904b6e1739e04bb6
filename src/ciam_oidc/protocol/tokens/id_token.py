"""ID tokens (OpenID Connect Core §2): who signed in, how and when, for one client.

Signed with the algorithm the client registered (`id_token_signed_response_alg`), RS256 unless
it chose otherwise. No `typ` header: Core does not define one, and resource servers tell these
apart from access tokens by the `at+jwt` type the access tokens carry (RFC 9068 §4).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.subjects import PUBLIC_ONLY, Subjects

# Core §3.1.3.6: the hash of the alg's JWS signature. Ed25519 (EdDSA) signs with SHA-512
# internally, so its at_hash uses SHA-512 (the errata of Core 1.0 for EdDSA with Ed25519).
_HASH_FOR_ALG: Mapping[str, Callable[[bytes], Any]] = {
    "RS256": hashlib.sha256,
    "ES256": hashlib.sha256,
    "Ed25519": hashlib.sha512,
}


def token_hash(value: str, alg: str) -> str:
    """Core §3.1.3.6 (at_hash), §3.3.2.11 (c_hash): BASE64URL of the left half of the hash
    of the ASCII octets of `value`."""
    digest: bytes = _HASH_FOR_ALG[alg](value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class IdTokenIssuer:
    keyring: KeyRing
    issuer: str
    ttl: int
    subjects: Subjects = PUBLIC_ONLY
    """What `sub` each client sees: pairwise clients get their own (Core §8)."""

    async def issue(
        self,
        *,
        client: Client,
        authentication: Authentication,
        now: datetime,
        nonce: str | None,
        access_token: str | None,
        session_id: str | None,
        extra_claims: Mapping[str, Any],
        code: str | None = None,
    ) -> str:
        """Core §2 claims, then the person's claims in `extra_claims`, which cannot override
        them (a profile claim named `sub` or `aud` must never change who or whom it is for)."""
        alg = client.id_token_signed_response_alg
        issued_at = int(now.timestamp())
        claims: dict[str, Any] = dict(extra_claims) | {
            "iss": self.issuer,
            "sub": self.subjects.subject_for(client, authentication.sub),
            "aud": client.client_id,
            "exp": issued_at + self.ttl,
            "iat": issued_at,
            "auth_time": int(authentication.auth_time.timestamp()),
            # Core §2: azp is the party the token was issued to; with a single audience it
            # repeats it, which some relying-party libraries expect anyway.
            "azp": client.client_id,
        }
        if authentication.acr:
            claims["acr"] = authentication.acr
        if authentication.amr:
            claims["amr"] = list(authentication.amr)
        if nonce is not None:
            claims["nonce"] = nonce  # Core §3.1.3.6: echo the authentication request's nonce
        if session_id is not None:
            claims["sid"] = session_id  # OpenID Connect Front/Back-Channel Logout §2
        if access_token is not None:
            claims["at_hash"] = token_hash(access_token, alg)
        if code is not None:
            claims["c_hash"] = token_hash(code, alg)  # Core §3.3.2.11, hybrid flow
        return await self.keyring.sign(claims, alg)
