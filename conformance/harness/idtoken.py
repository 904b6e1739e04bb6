"""The ID token checks every module applies (Core §3.1.3.7, §3.2.2.11, §3.3.2.12)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from conformance.harness.outcome import Failed, check

CLOCK_SKEW_S = 60
# Core §3.1.3.6: left half of the hash the signing alg uses; Ed25519 signs over SHA-512.
_HASHES = {"RS256": hashlib.sha256, "PS256": hashlib.sha256, "ES256": hashlib.sha256}
_HASHES |= {"Ed25519": hashlib.sha512, "EdDSA": hashlib.sha512}


def half_hash(value: str, alg: str) -> str:
    digest = _HASHES[alg](value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def header_of(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return header


def verify_id_token(
    token: str,
    *,
    issuer: str,
    jwks: Mapping[str, Any],
    client: Mapping[str, Any],
    nonce: str | None,
    access_token: str | None = None,
    code: str | None = None,
    hashes_required: bool = False,
) -> dict[str, Any]:
    """Signature, then every claim a relying party must check; returns the claims."""
    header = header_of(token)
    alg = header.get("alg")
    expected_alg = client["id_token_signed_response_alg"]
    check(alg == expected_alg, f"ID token alg {alg!r}, the client registered {expected_alg!r}")
    check(
        any(key.get("kid") == header.get("kid") for key in jwks["keys"]),
        f"ID token kid {header.get('kid')!r} is not in the JWKS",
    )
    keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    try:
        claims: dict[str, Any] = jwt.decode(token, keys, algorithms=[str(alg)]).claims
    except JoseError as error:
        raise Failed(f"the ID token's signature does not verify ({error})") from error
    now = time.time()
    client_id = client["client_id"]
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    check(claims.get("iss") == issuer, f"iss {claims.get('iss')!r} is not {issuer!r}")
    check(client_id in audiences, f"aud {audience!r} does not name the client")
    check(len(audiences) == 1 or claims.get("azp") == client_id, "several audiences, no azp")
    check(claims.get("azp", client_id) == client_id, f"azp {claims.get('azp')!r}")
    check(isinstance(claims.get("sub"), str) and claims["sub"], "no sub")
    check(isinstance(claims.get("exp"), int) and claims["exp"] > now, "exp missing or past")
    check(
        isinstance(claims.get("iat"), int) and claims["iat"] <= now + CLOCK_SKEW_S,
        "iat missing or in the future",
    )
    if nonce is not None:
        check(claims.get("nonce") == nonce, f"nonce {claims.get('nonce')!r} is not the one sent")
    else:
        check("nonce" not in claims, "a nonce that was never sent")
    if "auth_time" in claims:
        check(
            isinstance(claims["auth_time"], int) and claims["auth_time"] <= now + CLOCK_SKEW_S,
            "auth_time is not a past time",
        )
    # In the authorization response, at_hash/c_hash are required (§3.3.2.11, §3.2.2.10);
    # from the token endpoint at_hash is optional but must match when present.
    for name, value in (("at_hash", access_token), ("c_hash", code)):
        if value is not None and (hashes_required or name in claims):
            check(claims.get(name) == half_hash(value, str(alg)), f"{name} missing or wrong")
    return claims
