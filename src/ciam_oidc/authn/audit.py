"""Security events: an append-only record of what happened to an account and by whom.

Operators query it (`ciam-oidc audit`), and customers see their own account's events on the
account page. An event carries names and identifiers, never a secret, a code or a password;
`details` holds short facts such as the method used or the client involved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class EventType(StrEnum):
    SIGN_IN_SUCCEEDED = "sign_in.succeeded"
    SIGN_IN_FAILED = "sign_in.failed"
    ACCOUNT_LOCKED = "account.locked"
    ACCOUNT_REGISTERED = "account.registered"
    ACCOUNT_DELETED = "account.deleted"
    EMAIL_VERIFIED = "email.verified"
    EMAIL_CHANGED = "email.changed"
    PROFILE_UPDATED = "profile.updated"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET = "password.reset"
    MFA_ENROLLED = "mfa.enrolled"
    MFA_REMOVED = "mfa.removed"
    RECOVERY_CODES_REGENERATED = "mfa.recovery_codes_regenerated"
    PASSKEY_ADDED = "passkey.added"
    PASSKEY_REMOVED = "passkey.removed"
    CONSENT_GRANTED = "consent.granted"
    CONSENT_REVOKED = "consent.revoked"
    SESSION_ENDED = "session.ended"
    UPSTREAM_LINKED = "upstream.linked"
    UPSTREAM_UNLINKED = "upstream.unlinked"


@dataclass(frozen=True)
class AuditEvent:
    type: EventType
    occurred_at: datetime
    sub: str | None
    """The account concerned; None when no account is known (a failed sign-in by an unknown
    address is recorded without naming the address)."""
    details: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None
    id: int | None = None
    """Assigned by the store, in order of recording."""


class AuditStore(Protocol):
    async def append(self, event: AuditEvent) -> None: ...

    async def events(
        self,
        *,
        sub: str | None = None,
        types: Sequence[EventType] = (),
        since: datetime | None = None,
        limit: int = 100,
    ) -> Sequence[AuditEvent]:
        """Newest first, filtered by account, types and time when given."""

    async def forget(self, sub: str) -> None:
        """Detach a deleted account's events from it (they stay, without the account)."""


@dataclass(frozen=True)
class AuditLog:
    store: AuditStore
    clock: Callable[[], datetime]

    async def record(
        self, type: EventType, sub: str | None, ip: str | None = None, **details: str
    ) -> None:
        await self.store.append(AuditEvent(type, self.clock(), sub, details, ip))

    async def of(self, sub: str, limit: int = 50) -> Sequence[AuditEvent]:
        return await self.store.events(sub=sub, limit=limit)
