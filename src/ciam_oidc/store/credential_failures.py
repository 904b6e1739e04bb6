"""Sign-in attempt counters: the `credential_failures` table behind the login throttle.

A fixed window per key, counted with one upsert that returns the new count, so nodes share the
count and concurrent attempts cannot all read the old value and slip past the limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, String, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class CredentialFailureRow(Base):
    __tablename__ = "credential_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer)


class SqlFailureCounter:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions
        self._insert = sqlite.insert if database.is_sqlite else postgresql.insert

    async def count_attempt(self, key: str, now: datetime, window: timedelta) -> int:
        """Count one attempt and return the window's count, in one atomic statement."""
        statement = self._insert(CredentialFailureRow).values(
            key=key, window_started_at=now, failures=1
        )
        expired = CredentialFailureRow.window_started_at <= now - window
        statement = statement.on_conflict_do_update(
            index_elements=[CredentialFailureRow.key],
            set_={
                "failures": case((expired, 1), else_=CredentialFailureRow.failures + 1),
                "window_started_at": case(
                    (expired, now), else_=CredentialFailureRow.window_started_at
                ),
            },
        )
        async with self._sessions.begin() as session:
            count = await session.scalar(statement.returning(CredentialFailureRow.failures))
            return int(count or 0)

    async def clear_failures(self, key: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(CredentialFailureRow).where(CredentialFailureRow.key == key)
            )
