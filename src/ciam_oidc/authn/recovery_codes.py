"""Recovery codes: single-use passwords for when the authenticator app is lost.

A code has 50 random bits, too few to store as a plain SHA-256: a stolen table could be
searched exhaustively. So the stored digest is an HMAC under a key derived from the master
secret, which a database dump alone does not reveal; the account is mixed in, so equal digests
never show equal codes across accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ciam_oidc.crypto.derived_keys import derive_key

CODES_PER_SET = 10
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
"""RFC 4648 base32 in lower case: no 0/O or 1/l to confuse when typing from paper."""
_GROUPS = (4, 4, 2)
"""xxxx-xxxx-xx: 10 characters of 5 bits each, 50 bits per code."""


class RecoveryCodes:
    def __init__(self, master: bytes) -> None:
        self._key = derive_key(master, "recovery-codes")

    @staticmethod
    def new_set() -> list[str]:
        return [_new_code() for _ in range(CODES_PER_SET)]

    def digest(self, sub: str, code: str) -> str:
        """The stored form of `code` as typed: case, spaces and dashes do not matter."""
        normalised = "".join(code.lower().replace("-", "").split())
        message = sub.encode() + b"\x00" + normalised.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def _new_code() -> str:
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(size)) for size in _GROUPS)
    return "-".join(groups)
