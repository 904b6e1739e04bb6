"""Remembered consent: the `consents` table and the ConsentStore behind it.

One row per (person, client, scope value), inserted with "on conflict do nothing": two consents
given at once for the same person and client both land, and neither can overwrite the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class ConsentRow(Base):
    __tablename__ = "consents"

    sub: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SqlConsentStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions
        self._insert = sqlite.insert if database.is_sqlite else postgresql.insert

    async def consented_scope(self, sub: str, client_id: str) -> frozenset[str]:
        async with self._sessions() as session:
            scopes = await session.scalars(
                select(ConsentRow.scope).where(
                    ConsentRow.sub == sub, ConsentRow.client_id == client_id
                )
            )
            return frozenset(scopes)

    async def add_consent(
        self, sub: str, client_id: str, scope: Sequence[str], now: datetime
    ) -> None:
        if not scope:
            return
        rows = [
            {"sub": sub, "client_id": client_id, "scope": value, "granted_at": now}
            for value in dict.fromkeys(scope)
        ]
        async with self._sessions.begin() as session:
            await session.execute(self._insert(ConsentRow).values(rows).on_conflict_do_nothing())
