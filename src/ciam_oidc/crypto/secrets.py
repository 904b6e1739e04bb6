"""Machine-generated secrets and their stored form.

Client secrets, refresh tokens, codes and links are >= 128-bit random values, so a single
SHA-256 is a sound way to store them: there is nothing to brute-force, and unlike a password
hash it costs microseconds on the token endpoint's hot path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_BYTES = 32


def new_secret(nbytes: int = SECRET_BYTES) -> str:
    """A URL-safe random string carrying `nbytes` of entropy."""
    return secrets.token_urlsafe(nbytes)


def digest_secret(secret: str) -> str:
    """The form in which a generated secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_digest: str) -> bool:
    """Compare in constant time so response timing leaks nothing about the stored value."""
    return hmac.compare_digest(digest_secret(secret), stored_digest)


def derive_secret(master: bytes, purpose: str) -> str:
    """A secret that is stable for one master key, for seeds that must be reprintable."""
    mac = hmac.new(master, purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
