"""Purpose-specific keys derived from the one master secret operators configure.

HKDF-SHA256 (RFC 5869) with the purpose as `info`, the same derivation `SecretBox` applies, so
a key that leaks for one purpose (say, CSRF tokens) reveals nothing about another's, and every
node derives the same key from the same secret without sharing state.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32


def derive_key(master: bytes, purpose: str) -> bytes:
    """A 256-bit key that only `master` and `purpose` determine."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"ciam-oidc/" + purpose.encode(),
    )
    return hkdf.derive(master)
