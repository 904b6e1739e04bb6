"""Remembered consent: the `consents` table and the ConsentStore behind it.

One row per (person, client, scope value), inserted with "on conflict do nothing": two consents
given at once for the same person and client both land, and neither can overwrite the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.protocol.ports import ConsentSummary
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

    async def consents_of(self, sub: str) -> Sequence[ConsentSummary]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(ConsentRow.client_id, ConsentRow.scope, ConsentRow.granted_at)
                .where(ConsentRow.sub == sub)
                .order_by(ConsentRow.client_id, ConsentRow.scope)
            )
            # One row per scope value: fold them into one summary per client.
            scopes: dict[str, list[str]] = {}
            first_given: dict[str, datetime] = {}
            for client_id, scope, granted_at in rows:
                scopes.setdefault(client_id, []).append(scope)
                first_given[client_id] = min(granted_at, first_given.get(client_id, granted_at))
        return [
            ConsentSummary(client_id, tuple(values), first_given[client_id])
            for client_id, values in scopes.items()
        ]

    async def revoke_consent(self, sub: str, client_id: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ConsentRow).where(ConsentRow.sub == sub, ConsentRow.client_id == client_id)
            )
            return bool(getattr(result, "rowcount", 0))
