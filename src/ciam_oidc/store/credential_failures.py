"""Sign-in attempt counters: the `credential_failures` table behind the login throttle.

Each attempt is one upsert, guarded by the time the previous attempt set for the next one, that
returns the new count: nodes share the count, concurrent attempts cannot all read the old value
and slip past the limit, and an attempt that comes too early changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Integer, String, case, delete, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class CredentialFailureRow(Base):
    __tablename__ = "credential_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """No attempt is counted (or checked) before this time."""


class SqlFailureCounter:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions
        self._insert = sqlite.insert if database.is_sqlite else postgresql.insert

    async def count_attempt(
        self, key: str, now: datetime, waits: Sequence[timedelta], window: timedelta
    ) -> int | None:
        """Count one attempt and return the new count, or None when it is too early."""
        row = CredentialFailureRow
        quiet = row.last_attempt_at <= now - window
        count = case((quiet, 1), else_=row.failures + 1)
        statement = self._insert(row).values(
            key=key, last_attempt_at=now, failures=1, next_attempt_at=now + waits[0]
        )
        statement = statement.on_conflict_do_update(
            index_elements=[row.key],
            set_={
                "failures": count,
                "last_attempt_at": now,
                "next_attempt_at": _after_wait(count, now, waits),
            },
            # No wait pending (next == last) admits whatever `now` says: two requests at once
            # read the clock in one order and may reach the row in the other.
            where=or_(
                quiet, row.next_attempt_at <= now, row.next_attempt_at <= row.last_attempt_at
            ),
        )
        async with self._sessions.begin() as session:
            return await session.scalar(statement.returning(row.failures))

    async def next_attempt_at(self, key: str) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(CredentialFailureRow.next_attempt_at).where(CredentialFailureRow.key == key)
            )

    async def clear_failures(self, key: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(CredentialFailureRow).where(CredentialFailureRow.key == key)
            )


def _after_wait(
    count: ColumnElement[int], now: datetime, waits: Sequence[timedelta]
) -> ColumnElement[datetime]:
    """`now + waits[count - 1]` in SQL: one branch per run of equal waits, so at most a dozen."""
    ends = [n for n in range(1, len(waits)) if waits[n] != waits[n - 1]]
    branches = [(count <= n, literal(now + waits[n - 1], UTCDateTime)) for n in ends]
    last = literal(now + waits[-1], UTCDateTime)
    return case(*branches, else_=last) if branches else last
