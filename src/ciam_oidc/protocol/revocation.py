"""Token revocation (RFC 7009): a client tells us it no longer needs one of its tokens.

Whatever the outcome the answer is the same 200 (§2.2): an unknown, expired, malformed or
already revoked token, and a token of another client, change nothing and reveal nothing, so
the endpoint cannot be used to learn which tokens exist or whose they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ciam_oidc.crypto.secrets import digest_secret
from ciam_oidc.protocol.client_auth import ClientAuthenticator
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidRequest, InvalidToken
from ciam_oidc.protocol.ports import GrantStore, RefreshTokenLookup, RevokedTokenStore
from ciam_oidc.protocol.token_endpoint import AUTH_METHODS_SUPPORTED, AUTH_SIGNING_ALGS_SUPPORTED
from ciam_oidc.protocol.tokens.access_token_verifier import AccessTokenVerifier

ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"


def search_order(hint: str | None) -> tuple[str, str]:
    """RFC 7009 §2.1 (and RFC 7662 §2.1): the hint is looked at first; a token not found as
    hinted, or an unknown hint, still has every type searched."""
    if hint == ACCESS_TOKEN:
        return ACCESS_TOKEN, REFRESH_TOKEN
    return REFRESH_TOKEN, ACCESS_TOKEN


@dataclass(frozen=True)
class RevocationEndpoint:
    client_auth: ClientAuthenticator
    access_tokens: AccessTokenVerifier
    refresh_tokens: RefreshTokenLookup
    grants: GrantStore
    revoked: RevokedTokenStore
    clock: Callable[[], datetime]

    async def respond(self, authorization: str | None, form: Mapping[str, str]) -> None:
        # §2.1: the client authenticates as at the token endpoint; a public client identifies
        # itself by client_id (§5 expects public clients to revoke their tokens too).
        client = await self.client_auth.authenticate(authorization, form)
        token = form.get("token") or None  # RFC 6749 §3.2: empty means omitted
        if token is None:
            raise InvalidRequest("token is required")
        for token_type in search_order(form.get("token_type_hint")):
            revoke = self._revoke_refresh if token_type == REFRESH_TOKEN else self._revoke_access
            if await revoke(token, client):
                return

    async def _revoke_refresh(self, token: str, client: Client) -> bool:
        """True when the token is a live refresh token, whosever it is: nothing more to search."""
        now = self.clock()
        record = await self.refresh_tokens.find_refresh_token(digest_secret(token), now)
        if record is None:
            return False
        if record.client_id == client.client_id:
            # §2.1: revoking a refresh token SHOULD also revoke the access tokens of the same
            # grant. Revoking the grant ends them all, and every rotated successor with them.
            await self.grants.revoke_grant(record.grant_id, now)
        return True

    async def _revoke_access(self, token: str, client: Client) -> bool:
        try:
            # Signature only: a token of ours that has expired is still the client's own, and
            # revoking it must not fail (§2.2); recording it is pointless, so it is skipped.
            verified = await self.access_tokens.verify_signature(token)
        except InvalidToken:
            return False
        if verified.client_id == client.client_id and verified.accepted_until > self.clock():
            # Only this token, not its grant, though §2.1 would allow that: clients revoke
            # short-lived access tokens routinely (after use, when rotating), and signing the
            # customer out of the app as a side effect would be a surprise that cannot be
            # undone. A client that wants the whole grant gone revokes its refresh token.
            await self.revoked.revoke_access_token(verified.jti, verified.accepted_until)
        return True


def metadata(issuer: str, path: str) -> dict[str, Any]:
    """RFC 8414 §2; RFC 7009 §2.1 lets public clients (method `none`) revoke their tokens."""
    return {
        "revocation_endpoint": issuer + path,
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS_SUPPORTED),
        "revocation_endpoint_auth_signing_alg_values_supported": list(AUTH_SIGNING_ALGS_SUPPORTED),
    }
