"""The refresh token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700 §4.14.2).

A refresh token is an opaque 256-bit random string, stored only as its digest. Every use spends
the presented token and stores its successor in one transaction; the request's checks run
inside it, so a refused request (a scope wider than granted) leaves the token usable. Presenting
a spent token again means two parties hold the family: the grant is revoked, which ends every
refresh token and access token issued from it, the legitimate holder's included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ciam_oidc.crypto.secrets import digest_secret, new_secret
from ciam_oidc.protocol.authorizations import Authentication, RefreshTokenRecord
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidGrant, InvalidRequest, InvalidScope, UnauthorizedClient
from ciam_oidc.protocol.grants import TokenResponse
from ciam_oidc.protocol.ports import GrantStore, RefreshTokenStore, UserStore
from ciam_oidc.protocol.scopes import parse_scope
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer
from ciam_oidc.protocol.tokens.id_token import IdTokenIssuer


async def issue_refresh_token(
    store: RefreshTokenStore,
    *,
    grant_id: str,
    client_id: str,
    authentication: Authentication,
    scope: tuple[str, ...],
    now: datetime,
    ttl: int,
) -> str:
    """Store a new refresh token, the first of its family, by digest; return it."""
    token = new_secret()
    record = RefreshTokenRecord(
        grant_id, client_id, authentication, scope, now, now + timedelta(seconds=ttl)
    )
    await store.save_refresh_token(digest_secret(token), record)
    return token


@dataclass(frozen=True)
class RefreshTokenGrant:
    refresh_tokens: RefreshTokenStore
    grants: GrantStore
    users: UserStore
    access_tokens: AccessTokenIssuer
    id_tokens: IdTokenIssuer
    clock: Callable[[], datetime]
    refresh_ttl: int
    grant_type: str = "refresh_token"

    async def exchange(self, client: Client, form: Mapping[str, str]) -> TokenResponse:
        if self.grant_type not in client.grant_types:
            raise UnauthorizedClient("this client may not use the refresh_token grant")
        # RFC 6749 §3.2: a parameter sent without a value is treated as omitted.
        presented = form.get("refresh_token") or None
        if presented is None:
            raise InvalidRequest("refresh_token is required")
        requested = parse_scope(form.get("scope"))
        now = self.clock()
        record, refresh_token = await self._rotate(presented, client, requested, now)
        await self._check_still_authorized(record)
        # RFC 6749 §6: a narrower scope applies to this access token (and ID token) only; the
        # new refresh token keeps the scope of the one it replaces.
        scope = requested or record.scope
        access = await self.access_tokens.issue(
            sub=record.authentication.sub,
            client_id=client.client_id,
            client=client,
            scope=scope,
            now=now,
            authentication=record.authentication,
            grant_id=record.grant_id,
        )
        id_token = None
        if "openid" in scope:
            # OpenID Connect Core §12.2: a fresh ID token about the same authentication (same
            # sub, auth_time, acr, amr) and without a nonce.
            id_token = await self.id_tokens.issue(
                client=client,
                authentication=record.authentication,
                now=now,
                nonce=None,
                access_token=access.token,
                session_id=None,
                extra_claims={},
            )
        return TokenResponse(access.token, access.expires_in, scope, refresh_token, id_token)

    async def _rotate(
        self, presented: str, client: Client, requested: tuple[str, ...], now: datetime
    ) -> tuple[RefreshTokenRecord, str]:
        """The presented token's stored record, and its successor now stored in its place."""
        successor = new_secret()
        # RFC 9700 §4.14.2 asks refresh tokens to expire after inactivity: each successor lives
        # refresh_ttl from its own use, so a client in use stays signed in and an idle one
        # does not. Capping at the first token's expiry would sign out active customers on a
        # fixed date; an absolute limit, if wanted, belongs to the grant, not to each token.
        rotated = await self.refresh_tokens.rotate_refresh_token(
            digest_secret(presented),
            # RFC 6749 §6: the token is bound to the client it was issued to. Another client's
            # token is unknown to this one, and stays usable by its owner.
            client.client_id,
            digest_secret(successor),
            now,
            now + timedelta(seconds=self.refresh_ttl),
            accept=lambda record: _check_scope_within(requested, record.scope),
        )
        if rotated is None:
            raise InvalidGrant("the refresh token is unknown, expired or revoked")
        if not rotated.first_use:
            # RFC 9700 §4.14.2: a spent token used again: revoke the whole family.
            await self.grants.revoke_grant(rotated.record.grant_id, now)
            raise InvalidGrant("the refresh token was already used; its grant is revoked")
        return rotated.record, successor

    async def _check_still_authorized(self, record: RefreshTokenRecord) -> None:
        if not await self.grants.grant_is_active(record.grant_id):
            raise InvalidGrant("the grant behind this refresh token was revoked")
        user = await self.users.get_user(record.authentication.sub)
        if user is None or user.disabled:
            raise InvalidGrant("the account behind this refresh token is not active")


def _check_scope_within(requested: tuple[str, ...], granted: tuple[str, ...]) -> None:
    """RFC 6749 §6: the scope may shrink but never grow."""
    beyond = [value for value in requested if value not in granted]
    if beyond:
        raise InvalidScope(f"not granted by the resource owner: {' '.join(beyond)}")
