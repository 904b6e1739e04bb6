"""Requests per network and action: the `request_counts` table behind the per-IP limits.

A fixed window per key, counted with one upsert that returns the new count and when the window
started, so every node sees the same count and can say how long until the window ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, String, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class RequestCountRow(Base):
    __tablename__ = "request_counts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requests: Mapped[int] = mapped_column(Integer)


class SqlRequestCounter:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions
        self._insert = sqlite.insert if database.is_sqlite else postgresql.insert

    async def count_request(
        self, key: str, now: datetime, window: timedelta
    ) -> tuple[int, datetime]:
        """Count one request: the window's count so far and when the window started."""
        row = RequestCountRow
        expired = row.window_started_at <= now - window
        statement = self._insert(row).values(key=key, window_started_at=now, requests=1)
        statement = statement.on_conflict_do_update(
            index_elements=[row.key],
            set_={
                "requests": case((expired, 1), else_=row.requests + 1),
                "window_started_at": case((expired, now), else_=row.window_started_at),
            },
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement.returning(row.requests, row.window_started_at))
            requests, started = result.one()
            return requests, started
