"""The `audit_events` table: append-only, read newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.audit import AuditEvent, EventType
from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    # SQLite assigns rowids only to INTEGER PRIMARY KEY columns; BIGINT elsewhere.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sub: Mapped[str | None] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, str]] = mapped_column(JSON)

    def to_event(self) -> AuditEvent:
        return AuditEvent(
            type=EventType(self.type),
            occurred_at=self.occurred_at,
            sub=self.sub,
            details=dict(self.details),
            ip=self.ip,
            id=self.id,
        )


class SqlAuditStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def append(self, event: AuditEvent) -> None:
        async with self._sessions.begin() as db:
            await db.execute(
                insert(AuditEventRow).values(
                    type=event.type.value,
                    occurred_at=event.occurred_at,
                    sub=event.sub,
                    ip=event.ip,
                    details=dict(event.details),
                )
            )

    async def events(
        self,
        *,
        sub: str | None = None,
        types: Sequence[EventType] = (),
        since: datetime | None = None,
        limit: int = 100,
    ) -> Sequence[AuditEvent]:
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)
        if sub is not None:
            query = query.where(AuditEventRow.sub == sub)
        if types:
            query = query.where(AuditEventRow.type.in_([t.value for t in types]))
        if since is not None:
            query = query.where(AuditEventRow.occurred_at >= since)
        async with self._sessions() as db:
            return [row.to_event() for row in await db.scalars(query)]

    async def forget(self, sub: str) -> None:
        async with self._sessions.begin() as db:
            await db.execute(update(AuditEventRow).where(AuditEventRow.sub == sub).values(sub=None))
