"""Browser SSO sessions: the `browser_sessions` table and the SessionStore behind it.

Rows are keyed by the SHA-256 of the cookie value, so a database reader cannot ride a session,
and ended rows stay (with `ended_at`) for the account page's history and audits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, String, and_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.protocol.ports import BrowserSession
from ciam_oidc.store.authorization_json import authentication_from, authentication_json
from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class BrowserSessionRow(Base):
    __tablename__ = "browser_sessions"

    cookie_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    sub: Mapped[str] = mapped_column(String(64), index=True)
    authentication: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(255), server_default="")

    def to_session(self) -> BrowserSession:
        return BrowserSession(
            id=self.id,
            authentication=authentication_from(self.authentication),
            created_at=self.created_at,
            expires_at=self.expires_at,
            user_agent=self.user_agent,
        )


class SqlSessionStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def start_session(self, cookie_digest: str, session: BrowserSession) -> None:
        async with self._sessions.begin() as db:
            db.add(
                BrowserSessionRow(
                    cookie_digest=cookie_digest,
                    id=session.id,
                    sub=session.authentication.sub,
                    authentication=authentication_json(session.authentication),
                    created_at=session.created_at,
                    expires_at=session.expires_at,
                    user_agent=session.user_agent[:255],
                )
            )

    async def find_session(self, cookie_digest: str, now: datetime) -> BrowserSession | None:
        async with self._sessions() as db:
            row = await db.scalar(
                select(BrowserSessionRow).where(
                    BrowserSessionRow.cookie_digest == cookie_digest,
                    BrowserSessionRow.ended_at.is_(None),
                    BrowserSessionRow.expires_at > now,
                )
            )
            return row.to_session() if row else None

    async def end_session(self, cookie_digest: str, now: datetime) -> BrowserSession | None:
        async with self._sessions.begin() as db:
            ended = await db.execute(
                update(BrowserSessionRow)
                .where(
                    BrowserSessionRow.cookie_digest == cookie_digest,
                    BrowserSessionRow.ended_at.is_(None),
                )
                .values(ended_at=now)
                .returning(BrowserSessionRow)
            )
            row = ended.scalar_one_or_none()
            return row.to_session() if row else None

    async def sessions_of(self, sub: str, now: datetime) -> Sequence[BrowserSession]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(BrowserSessionRow)
                .where(_live_of(sub, now))
                .order_by(BrowserSessionRow.created_at.desc())
            )
            return [row.to_session() for row in rows]

    async def end_session_of(self, sub: str, session_id: str, now: datetime) -> bool:
        return await self._end(_live_of(sub, now), BrowserSessionRow.id == session_id, now=now) > 0

    async def end_sessions_of(self, sub: str, now: datetime) -> int:
        return await self._end(_live_of(sub, now), now=now)

    async def _end(self, *conditions: ColumnElement[bool], now: datetime) -> int:
        async with self._sessions.begin() as db:
            result = await db.execute(
                update(BrowserSessionRow).where(*conditions).values(ended_at=now)
            )
            return int(getattr(result, "rowcount", 0))


def _live_of(sub: str, now: datetime) -> ColumnElement[bool]:
    return and_(
        BrowserSessionRow.sub == sub,
        BrowserSessionRow.ended_at.is_(None),
        BrowserSessionRow.expires_at > now,
    )
