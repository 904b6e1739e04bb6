"""Proof Key for Code Exchange (RFC 7636), with the S256 method only.

`plain` is not offered: it protects nothing against an attacker who can read the authorization
request, and RFC 9700 §2.1.1 tells servers to prefer S256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from ciam_oidc.protocol.errors import InvalidGrant

# RFC 7636 §4.1: code-verifier = 43*128unreserved; unreserved = ALPHA / DIGIT / "-._~"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# RFC 7636 §4.2: BASE64URL of a 32-byte SHA-256 digest, unpadded, is exactly 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{42}[AEIMQUYcgkosw048]")


def s256_challenge(verifier: str) -> str:
    """RFC 7636 §4.2: code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def challenge_is_valid(challenge: str | None) -> bool:
    """Whether `challenge` can be an S256 code_challenge (for the authorization endpoint).

    The last character carries only 4 of its 6 bits (43 * 6 = 258 = 256 + 2), so a value whose
    spare bits are set could never equal an encoded digest.
    """
    return challenge is not None and _S256_CHALLENGE.fullmatch(challenge) is not None


def verify_code_verifier(verifier: str | None, challenge: str | None) -> None:
    """Raise `invalid_grant` unless the token request's verifier fits the code's challenge."""
    if challenge is None:
        if verifier is not None:
            # RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a PKCE
            # downgrade attempt (the challenge was stripped from the authorization request).
            raise InvalidGrant("code_verifier sent for a code issued without code_challenge")
        return
    if verifier is None:
        raise InvalidGrant("code_verifier is required for this code")  # RFC 7636 §4.5
    if _VERIFIER.fullmatch(verifier) is None:
        raise InvalidGrant("code_verifier must be 43 to 128 unreserved characters")
    # RFC 7636 §4.6: compare; constant time so timing reveals nothing about the challenge.
    if not hmac.compare_digest(s256_challenge(verifier).encode(), challenge.encode()):
        raise InvalidGrant("code_verifier does not match the code_challenge")
