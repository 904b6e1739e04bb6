"""A copy of everything kept about an account, for its owner (GDPR Art. 15 and 20).

Built from an allow-list of fields, never by dumping rows, so nothing that would let someone
sign in as the person can leak into the file: no password hash, no TOTP seed or recovery code,
no passkey key or credential id, no session cookie digest, no token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ciam_oidc.authn.account import AccountSessions, ConnectedApps
from ciam_oidc.authn.audit import AuditLog
from ciam_oidc.authn.passkeys import Passkeys
from ciam_oidc.authn.totp_store import TotpStore
from ciam_oidc.authn.upstreams import LinkedIdentityStore
from ciam_oidc.protocol.ports import UserStore
from ciam_oidc.protocol.users import PROFILE_CLAIMS

# Every event the account has; a lifetime of sign-ins is still a small file.
EXPORTED_EVENTS = 100_000


class AccountExport:
    def __init__(
        self,
        users: UserStore,
        sessions: AccountSessions,
        apps: ConnectedApps,
        passkeys: Passkeys,
        totp: TotpStore,
        links: LinkedIdentityStore,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._apps = apps
        self._passkeys = passkeys
        self._totp = totp
        self._links = links
        self._audit = audit
        self._clock = clock

    async def export(self, sub: str) -> dict[str, Any] | None:
        """The account's data as JSON-ready values (times in ISO 8601 UTC); None if no account."""
        user = await self._users.get_user(sub)
        if user is None:
            return None
        apps = await self._apps.of(sub)
        return {
            "exported_at": _time(self._clock()),
            "account": {
                "sub": user.sub,
                "email": user.email,
                "email_verified": user.email_verified,
                "has_password": user.password_hash is not None,
                "created_at": _time(user.created_at),
                "updated_at": _time(user.updated_at),
                "profile": {c: user.claims[c] for c in PROFILE_CLAIMS if c in user.claims},
            },
            "sessions": [
                {
                    "id": session.id,
                    "browser": session.user_agent,
                    "signed_in_at": _time(session.authentication.auth_time),
                    "sign_in_methods": list(session.authentication.amr),
                    "started_at": _time(session.created_at),
                    "expires_at": _time(session.expires_at),
                }
                for session in await self._sessions.of(sub)
            ],
            "consents": [
                {
                    "client_id": app.client_id,
                    "client_name": app.name,
                    "scope": list(app.scope),
                    "granted_at": _time(app.consented_at),
                }
                for app in apps
                if app.consented_at is not None
            ],
            "connected_apps": [
                {
                    "client_id": app.client_id,
                    "client_name": app.name,
                    "live_authorizations": app.live_grants,
                    "last_authorized_at": _time(app.authorized_at),
                }
                for app in apps
                if app.live_grants
            ],
            "passkeys": [
                {
                    "name": passkey.name,
                    "synced": passkey.backup_eligible,
                    "created_at": _time(passkey.created_at),
                    "last_used_at": _time(passkey.last_used_at),
                }
                for passkey in await self._passkeys.list(sub)
            ],
            "authenticator_app": await self._authenticator_app(sub),
            "upstream_identities": [
                {
                    "upstream": link.upstream_id,
                    "issuer": link.issuer,
                    "subject": link.subject,
                    "email": link.email,
                    "linked_at": _time(link.linked_at),
                    "last_used_at": _time(link.last_used_at),
                }
                for link in await self._links.links_of(sub)
            ],
            "activity": [
                {
                    "event": event.type.value,
                    "occurred_at": _time(event.occurred_at),
                    "ip": event.ip,
                    "details": dict(event.details),
                }
                for event in await self._audit.of(sub, limit=EXPORTED_EVENTS)
            ],
        }

    async def _authenticator_app(self, sub: str) -> dict[str, Any]:
        """Whether one is set up and since when; the sealed seed stays where it is."""
        credential = await self._totp.find_totp(sub)
        if credential is None or credential.secret is None:
            return {"set_up": False}
        return {
            "set_up": True,
            "set_up_at": _time(credential.confirmed_at),
            "recovery_codes_left": await self._totp.count_recovery_codes(sub),
        }


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
