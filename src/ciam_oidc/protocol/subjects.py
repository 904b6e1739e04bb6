"""The `sub` each client sees (OpenID Connect Core §8).

A `public` client sees the account's own identifier. A `pairwise` client sees one computed for
its sector (Core §8.1), so clients of different sectors cannot tell that they serve the same
person, while clients sharing a `sector_identifier_uri` see the same value:

    BASE64URL(SHA-256(sector identifier || local sub || salt))

The salt is derived from the master secret, so every node computes the same values and they
stay stable as long as the master secret does. The hash cannot be reversed, so what must find
the account again from a pairwise token (UserInfo) reads it from a sealed private claim
(`seal_account`), opaque to the client and unlinkable from one token to the next.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from ciam_oidc.crypto.derived_keys import derive_key
from ciam_oidc.crypto.encryption import DecryptionError, SecretBox
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidClientMetadata

PAIRWISE = "pairwise"
SUBJECT_TYPES = ("public", PAIRWISE)


class PairwiseNotConfigured(Exception):
    """A pairwise client met a component built without the master secret: refusing beats
    handing it the account's public identifier."""


def sector_identifier(client: Client) -> str:
    """Core §8.1: the host of `sector_identifier_uri`, else the one host of the redirect URIs.
    Redirect URIs on several hosts need a sector_identifier_uri (Core §8.1, Registration §5),
    so registration can refuse a pairwise client this raises for."""
    if client.sector_identifier_uri is not None:
        host = urlsplit(client.sector_identifier_uri).hostname
        if host:
            return host
        raise InvalidClientMetadata("sector_identifier_uri must name a host")
    hosts = {urlsplit(uri).hostname for uri in client.redirect_uris}
    if len(hosts) != 1 or None in hosts:
        raise InvalidClientMetadata(
            "a pairwise client whose redirect_uris are not on one host needs a "
            "sector_identifier_uri"
        )
    return str(hosts.pop())


class Subjects:
    def __init__(self, master: bytes | None) -> None:
        """`master` None: public subjects only (components built without the master secret)."""
        self._salt = derive_key(master, "pairwise-subjects") if master else None
        self._accounts = SecretBox(master, "access-token-account") if master else None

    def subject_for(self, client: Client, sub: str) -> str:
        """The `sub` that `client` sees for the local account `sub`."""
        if client.subject_type != PAIRWISE:
            return sub
        if self._salt is None:
            raise PairwiseNotConfigured(client.client_id)
        material = sector_identifier(client).encode() + sub.encode() + self._salt
        return _base64url(hashlib.sha256(material).digest())

    def names(self, client: Client, sub: str, presented: str) -> bool:
        """Whether `presented` (an id_token_hint's `sub`, say) is what `client` sees for the
        local account `sub`."""
        return hmac.compare_digest(self.subject_for(client, sub).encode(), presented.encode())

    def seal_account(self, sub: str, bound_to: str) -> str:
        """The local account, for a token whose `sub` is pairwise; `bound_to` is its `jti`, so
        the value cannot be moved to another token."""
        if self._accounts is None:
            raise PairwiseNotConfigured(sub)
        return _base64url(self._accounts.seal(sub.encode(), bound_to))

    def open_account(self, sealed: str, bound_to: str) -> str | None:
        """The local account `seal_account` sealed; None when the value is not ours."""
        if self._accounts is None:
            return None
        try:
            padded = sealed + "=" * (-len(sealed) % 4)
            return self._accounts.open(base64.urlsafe_b64decode(padded), bound_to).decode()
        except (DecryptionError, ValueError):  # bad base64 or UTF-8 is a ValueError too
            return None


PUBLIC_ONLY = Subjects(None)
"""For components that never serve pairwise clients (and tests of public behaviour)."""


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
