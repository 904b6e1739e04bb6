"""Remembered consent: the `consents` table and the ConsentStore behind it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class ConsentRow(Base):
    __tablename__ = "consents"

    sub: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SqlConsentStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def consented_scope(self, sub: str, client_id: str) -> frozenset[str]:
        async with self._sessions() as session:
            scope = await session.scalar(
                select(ConsentRow.scope).where(
                    ConsentRow.sub == sub, ConsentRow.client_id == client_id
                )
            )
            return frozenset(scope or ())

    async def add_consent(
        self, sub: str, client_id: str, scope: Sequence[str], now: datetime
    ) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(ConsentRow, (sub, client_id), with_for_update=True)
            if row is None:
                session.add(
                    ConsentRow(sub=sub, client_id=client_id, scope=list(scope), updated_at=now)
                )
            else:
                row.scope = list(dict.fromkeys([*row.scope, *scope]))
                row.updated_at = now
