"""Browser SSO sessions: a random cookie value for the browser, its digest in the database.

A fresh value is issued at every sign-in (no session fixation), and ending a session on any
node ends it everywhere because every node asks the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ciam_oidc.crypto.secrets import digest_secret, new_secret
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.ports import BrowserSession, SessionStore


class Sessions:
    def __init__(self, store: SessionStore, lifetime: timedelta) -> None:
        self._store = store
        self._lifetime = lifetime

    async def start(
        self, authentication: Authentication, now: datetime, user_agent: str = ""
    ) -> tuple[str, BrowserSession]:
        cookie = new_secret()
        session = BrowserSession(
            id=new_secret(16),
            authentication=authentication,
            created_at=now,
            expires_at=now + self._lifetime,
            user_agent=user_agent,
        )
        await self._store.start_session(digest_secret(cookie), session)
        return cookie, session

    async def find(self, cookie: str | None, now: datetime) -> BrowserSession | None:
        if not cookie:
            return None
        return await self._store.find_session(digest_secret(cookie), now)

    async def end(self, cookie: str | None, now: datetime) -> BrowserSession | None:
        if not cookie:
            return None
        return await self._store.end_session(digest_secret(cookie), now)

    async def of(self, sub: str, now: datetime) -> Sequence[BrowserSession]:
        return await self._store.sessions_of(sub, now)

    async def end_one(self, sub: str, session_id: str, now: datetime) -> bool:
        return await self._store.end_session_of(sub, session_id, now)

    async def end_all(self, sub: str, now: datetime) -> int:
        """Sign the account out everywhere (a password reset, a deleted account)."""
        return await self._store.end_sessions_of(sub, now)
