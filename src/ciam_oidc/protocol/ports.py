"""Storage the protocol needs, as small Protocols; `store/` implements them, `app.py` wires them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ciam_oidc.protocol.authorizations import Authentication, Authorization, RefreshTokenRecord
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.users import User


class AlreadyExists(Exception):
    """A record with the same identity (client_id, email) is already stored."""


class ClientStore(Protocol):
    async def add_client(self, client: Client) -> None: ...

    async def get_client(self, client_id: str) -> Client | None: ...

    async def list_clients(self) -> Sequence[Client]: ...

    async def delete_client(self, client_id: str) -> bool: ...


class UserStore(Protocol):
    async def add_user(self, user: User) -> None: ...

    async def get_user(self, sub: str) -> User | None: ...

    async def find_user_by_email(self, email: str) -> User | None: ...

    async def list_users(self, limit: int = 100) -> Sequence[User]: ...

    async def set_password_hash(self, sub: str, password_hash: str) -> None: ...

    async def update_profile(self, sub: str, claims: dict[str, Any], now: datetime) -> None:
        """Replace the profile claims (OpenID Connect Core §5.1 names, see users.PROFILE_CLAIMS)."""

    async def change_email(self, sub: str, email: str, verified: bool, now: datetime) -> None:
        """Raises AlreadyExists when another account has `email`."""

    async def delete_user(self, sub: str) -> bool:
        """Remove the account row; what references it by foreign key goes with it."""


class CodeStore(Protocol):
    async def save_code(
        self, digest: str, authorization: Authorization, expires_at: datetime
    ) -> None: ...

    async def consume_code(self, digest: str, now: datetime) -> ConsumedCode | None:
        """Mark the code used, atomically across nodes; None if it never existed or expired."""


@dataclass(frozen=True)
class ConsumedCode:
    authorization: Authorization
    first_use: bool
    """False when the code had been redeemed before: a replay (RFC 6749 §4.1.2)."""


class GrantStore(Protocol):
    async def create_grant(
        self, grant_id: str, client_id: str, sub: str, now: datetime, session_id: str | None = None
    ) -> None:
        """`session_id`: the browser session the grant was given in, whose end the client is
        told of (Front- and Back-Channel Logout)."""

    async def revoke_grant(self, grant_id: str, now: datetime) -> None: ...

    async def revoke_grants_of(self, sub: str, now: datetime) -> int:
        """Revoke every live grant of the account (and so its refresh and access tokens)."""

    async def grant_is_active(self, grant_id: str) -> bool: ...

    async def grants_of(self, sub: str) -> Sequence[GrantSummary]:
        """The account's live (unrevoked) grants, newest first: which clients hold tokens."""

    async def revoke_client_grants(self, sub: str, client_id: str, now: datetime) -> int:
        """Revoke every live grant `client_id` holds for the account: the customer removed the
        app, so its refresh tokens stop working and its access tokens (carrying the grant id)
        stop passing introspection and userinfo."""


@dataclass(frozen=True)
class GrantSummary:
    """A grant as the account page lists it: no token, no authentication details."""

    id: str
    client_id: str
    created_at: datetime


class RefreshTokenStore(Protocol):
    async def save_refresh_token(self, digest: str, record: RefreshTokenRecord) -> None: ...

    async def rotate_refresh_token(
        self,
        digest: str,
        client_id: str,
        successor_digest: str,
        now: datetime,
        expires_at: datetime,
        accept: Callable[[RefreshTokenRecord], None],
    ) -> RotatedRefreshToken | None:
        """Spend `client_id`'s live token `digest` and store its successor, in one transaction.

        The claimed record goes to `accept` before anything is committed: if it raises, the
        token stays unspent, no successor is stored and the exception propagates. Otherwise the
        successor (same grant, client, authentication and scope, RFC 6749 §6) is stored under
        `successor_digest`, issued at `now`, expiring at `expires_at`.

        A token of `client_id` that was already rotated comes back with `first_use` False,
        without calling `accept` or storing anything. An unknown or expired token, or one
        issued to another client, is None, and the other client's token stays usable.
        """


@dataclass(frozen=True)
class RotatedRefreshToken:
    record: RefreshTokenRecord
    """The presented token's record, as stored when it was issued."""
    first_use: bool
    """False when the token had already been rotated: the family must be revoked."""


class ConsentStore(Protocol):
    """Consent is remembered per person and client, as the set of scopes agreed to so far."""

    async def consented_scope(self, sub: str, client_id: str) -> frozenset[str]: ...

    async def add_consent(
        self, sub: str, client_id: str, scope: Sequence[str], now: datetime
    ) -> None: ...

    async def consents_of(self, sub: str) -> Sequence[ConsentSummary]:
        """Every client the person consented to, by client_id."""

    async def revoke_consent(self, sub: str, client_id: str) -> bool:
        """Forget the consent given to `client_id`; False when there was none."""


@dataclass(frozen=True)
class ConsentSummary:
    client_id: str
    scope: tuple[str, ...]
    """Every scope value agreed to so far, sorted."""
    granted_at: datetime
    """When consent was first given to this client."""


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser. `id` is public (the `sid` claim); the cookie secret is not stored."""

    id: str
    authentication: Authentication
    created_at: datetime
    expires_at: datetime
    user_agent: str = ""
    """What the browser said it was when signing in, for the account page's session list."""


class SessionStore(Protocol):
    async def start_session(self, cookie_digest: str, session: BrowserSession) -> None: ...

    async def find_session(self, cookie_digest: str, now: datetime) -> BrowserSession | None: ...

    async def end_session(self, cookie_digest: str, now: datetime) -> BrowserSession | None: ...

    async def sessions_of(self, sub: str, now: datetime) -> Sequence[BrowserSession]:
        """The account's live sessions, newest first."""

    async def end_session_of(self, sub: str, session_id: str, now: datetime) -> bool:
        """End one of the account's sessions by its public id; False if none was live."""

    async def end_sessions_of(self, sub: str, now: datetime) -> int:
        """End every live session of the account."""


class RevokedTokenStore(Protocol):
    """Access tokens revoked before they expire (RFC 7009 §2), by `jti`.

    A row needs to outlive its token only: after `expires_at` the token fails on `exp` anyway.
    """

    async def revoke_access_token(self, jti: str, expires_at: datetime) -> None: ...

    async def is_revoked(self, jti: str) -> bool: ...


class RefreshTokenLookup(Protocol):
    """Reading refresh tokens without spending them (introspection, revocation)."""

    async def find_refresh_token(self, digest: str, now: datetime) -> RefreshTokenRecord | None:
        """The stored record if the token is neither rotated nor expired at `now`; the grant
        behind it is the caller's to check."""


class AssertionReplayStore(Protocol):
    """The `jti`s of client assertions already used (RFC 7523 §3 item 7), per client.

    A row needs to outlive its assertion only: after `expires_at` the assertion fails on `exp`
    anyway, and the row may be deleted.
    """

    async def spend_assertion_jti(self, client_id: str, jti: str, expires_at: datetime) -> bool:
        """Record the jti, atomically across nodes; False if the client had used it before."""


class FetchFailed(Exception):
    """A document a client registered by URL could not be fetched or was not acceptable.
    The message may name the URL, never what it returned."""


class DocumentFetcher(Protocol):
    """Documents a client names by URL: `jwks_uri`, `sector_identifier_uri`, `request_uri`
    (`ciam_oidc.fetch`). The URLs come from clients, so every fetch is bounded in time and
    size and refuses what a client should not make this server reach."""

    async def fetch(self, url: str) -> bytes:
        """The body of a 200 answer to GET `url`. Raises FetchFailed."""
