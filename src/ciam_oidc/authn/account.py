"""What a person does to their own account besides signing in: see and end their sessions, see
and disconnect the apps they let in, and delete the account.

Each change is recorded in the audit trail, so the account's activity page shows it and an
operator can tell the customer's own actions from an attacker's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.logout_channels import LogoutChannels
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.protocol.ports import (
    BrowserSession,
    ClientStore,
    ConsentStore,
    GrantStore,
    GrantSummary,
    UserStore,
)
from ciam_oidc.protocol.users import InvalidUser, normalize_email


class AccountTraces(Protocol):
    async def erase_traces(self, sub: str) -> None:
        """Delete, in one transaction, every row that names the account besides its own:
        consents, grants with their codes and refresh tokens, browser sessions, emailed links,
        passkey challenges and sign-ins in progress."""


@dataclass(frozen=True)
class ConnectedApp:
    """A client the person let in: by consent, by live grants, or both (a first-party client
    is never asked for consent but still holds grants)."""

    client_id: str
    name: str
    scope: tuple[str, ...]
    """What the person consented to; empty when no consent is remembered."""
    consented_at: datetime | None
    authorized_at: datetime | None
    """When the newest live grant was made; None when the app holds none."""
    live_grants: int


class ConnectedApps:
    def __init__(
        self,
        clients: ClientStore,
        consents: ConsentStore,
        grants: GrantStore,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self._clients = clients
        self._consents = consents
        self._grants = grants
        self._audit = audit
        self._clock = clock

    async def of(self, sub: str) -> Sequence[ConnectedApp]:
        """Sorted by the name people know the app by."""
        consents = {consent.client_id: consent for consent in await self._consents.consents_of(sub)}
        grants: dict[str, list[GrantSummary]] = {}
        for grant in await self._grants.grants_of(sub):  # newest first
            grants.setdefault(grant.client_id, []).append(grant)
        names = await self.names(consents.keys() | grants.keys())
        apps = [
            ConnectedApp(
                client_id=client_id,
                name=name,
                scope=consents[client_id].scope if client_id in consents else (),
                consented_at=consents[client_id].granted_at if client_id in consents else None,
                authorized_at=grants[client_id][0].created_at if client_id in grants else None,
                live_grants=len(grants.get(client_id, ())),
            )
            for client_id, name in names.items()
        ]
        return sorted(apps, key=lambda app: (app.name.casefold(), app.client_id))

    async def names(self, client_ids: Iterable[str]) -> dict[str, str]:
        """Each client's registered name; the client_id of one since deleted."""
        names = {}
        for client_id in client_ids:
            client = await self._clients.get_client(client_id)
            names[client_id] = client.name if client else client_id
        return names

    async def remove(self, sub: str, client_id: str, ip: str | None) -> bool:
        """Forget the consent, then revoke the app's grants; False if it had neither.

        Consent goes first: once it is gone no new grant can be made without asking the
        person again, so a sign-in racing this removal cannot leave a grant behind it.
        """
        had_consent = await self._consents.revoke_consent(sub, client_id)
        revoked = await self._grants.revoke_client_grants(sub, client_id, self._clock())
        if not (had_consent or revoked):
            return False
        await self._audit.record(EventType.CONSENT_REVOKED, sub, ip, client_id=client_id)
        return True


class AccountSessions:
    """The browsers signed in to an account, which the person may sign out one by one.

    A browser signed out here is not the one asking, so only back-channel logout can reach the
    clients signed in through it (`channels`; None when nobody is to be told)."""

    def __init__(
        self,
        sessions: Sessions,
        audit: AuditLog,
        clock: Callable[[], datetime],
        channels: LogoutChannels | None = None,
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock
        self._channels = channels

    async def of(self, sub: str) -> Sequence[BrowserSession]:
        return await self._sessions.of(sub, self._clock())

    async def end(self, sub: str, session_id: str, ip: str | None) -> bool:
        """False unless `session_id` is a live session of this account (never another's)."""
        if not await self._sessions.end_one(sub, session_id, self._clock()):
            return False
        await self._ended(sub, session_id)
        await self._audit.record(EventType.SESSION_ENDED, sub, ip, session_id=session_id)
        return True

    async def end_others(self, sub: str, current_id: str, ip: str | None) -> int:
        """Sign out every browser but the one asking; how many were signed out."""
        now = self._clock()
        ended = 0
        for session in await self._sessions.of(sub, now):
            if session.id != current_id and await self._sessions.end_one(sub, session.id, now):
                await self._ended(sub, session.id)
                ended += 1
        if ended:
            await self._audit.record(EventType.SESSION_ENDED, sub, ip, others=str(ended))
        return ended

    async def _ended(self, sub: str, session_id: str) -> None:
        if self._channels is not None:
            await self._channels.session_ended(sub, session_id)


class AccountDeletion:
    def __init__(
        self,
        users: UserStore,
        grants: GrantStore,
        sessions: Sessions,
        traces: AccountTraces,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self._users = users
        self._grants = grants
        self._sessions = sessions
        self._traces = traces
        self._audit = audit
        self._clock = clock

    async def delete(self, sub: str, typed_email: str, ip: str | None) -> bool:
        """Delete the account if `typed_email` is its address; False (nothing done) if not.

        Access ends first (grants revoked, sessions ended), so tokens and cookies stop working
        even if a later step fails. The account's row goes last: until then the person can
        still sign in and try again. Its TOTP and passkey rows follow it by foreign key.

        The audit trail keeps that an account was deleted, but not which: the event is
        recorded like any other and then `forget` detaches every event of the account from
        it, this one included. Forgetting first would leave the deletion naming the account.
        """
        user = await self._users.get_user(sub)
        if user is None or not _same_address(typed_email, user.email):
            return False
        now = self._clock()
        await self._grants.revoke_grants_of(sub, now)
        await self._sessions.end_all(sub, now)
        await self._traces.erase_traces(sub)
        await self._users.delete_user(sub)
        await self._audit.record(EventType.ACCOUNT_DELETED, sub, ip)
        await self._audit.store.forget(sub)
        return True


def _same_address(typed: str, email: str) -> bool:
    try:
        return normalize_email(typed) == email
    except InvalidUser:
        return False
