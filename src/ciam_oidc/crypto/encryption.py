"""Encryption at rest for signing keys and (later) TOTP seeds and upstream IdP secrets.

AES-256-GCM with a key derived per purpose from the master secret (HKDF-SHA256), so a database
dump alone reveals nothing, and a value moved to another row or purpose fails to decrypt
(the row's identity is bound in as associated data).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ciam_oidc.crypto.derived_keys import derive_key

_NONCE_BYTES = 12
_VERSION = b"\x01"


class DecryptionError(Exception):
    """The value was not sealed with this master secret, for this purpose and row."""


class SecretBox:
    """Seals small values under a key that only the master secret and `purpose` determine."""

    def __init__(self, master: bytes, purpose: str) -> None:
        self._aead = AESGCM(derive_key(master, purpose))

    def seal(self, plaintext: bytes, bound_to: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, bound_to.encode())

    def open(self, sealed: bytes, bound_to: str) -> bytes:
        if sealed[:1] != _VERSION:
            raise DecryptionError("unknown format")
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, ciphertext, bound_to.encode())
        except InvalidTag:
            raise DecryptionError("wrong master secret, purpose or row") from None
