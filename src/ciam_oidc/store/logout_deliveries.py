"""Back-channel logout tokens waiting to be delivered (OpenID Connect Back-Channel Logout
1.0 §2.5): a table rather than an in-memory queue, so a delivery survives a restart and any
node may retry it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.logout_channels import ClaimedDelivery, QueuedDelivery
from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class LogoutDeliveryRow(Base):
    __tablename__ = "logout_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64))
    uri: Mapped[str] = mapped_column(Text)
    logout_token: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))


class SqlLogoutDeliveryStore:
    """Implements authn.logout_channels.LogoutDeliveryStore."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def enqueue(self, deliveries: Sequence[QueuedDelivery], now: datetime) -> None:
        async with self._sessions.begin() as session:
            session.add_all(
                LogoutDeliveryRow(
                    client_id=delivery.client_id,
                    uri=delivery.uri,
                    logout_token=delivery.logout_token,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                for delivery in deliveries
            )

    async def claim_due(
        self, now: datetime, lease_until: datetime, max_attempts: int, limit: int
    ) -> Sequence[ClaimedDelivery]:
        due = (
            LogoutDeliveryRow.delivered_at.is_(None),
            LogoutDeliveryRow.attempts < max_attempts,
            LogoutDeliveryRow.next_attempt_at <= now,
        )
        oldest = (
            select(LogoutDeliveryRow.id)
            .where(*due)
            .order_by(LogoutDeliveryRow.next_attempt_at, LogoutDeliveryRow.id)
            .limit(limit)
        )
        # One statement: a node racing this one either claimed a row first (and moved its
        # next_attempt_at past `now`, so the repeated `due` conditions fail here: PostgreSQL
        # re-checks them on the row it waited for) or finds it claimed by us.
        async with self._sessions.begin() as session:
            claimed = await session.execute(
                update(LogoutDeliveryRow)
                .where(LogoutDeliveryRow.id.in_(oldest.scalar_subquery()), *due)
                .values(attempts=LogoutDeliveryRow.attempts + 1, next_attempt_at=lease_until)
                .returning(
                    LogoutDeliveryRow.id,
                    LogoutDeliveryRow.client_id,
                    LogoutDeliveryRow.uri,
                    LogoutDeliveryRow.logout_token,
                    LogoutDeliveryRow.attempts,
                )
            )
            return [
                ClaimedDelivery(row.id, row.client_id, row.uri, row.logout_token, row.attempts)
                for row in claimed
            ]

    async def delivered(self, delivery: ClaimedDelivery, now: datetime) -> None:
        await self._settle(delivery, delivered_at=now, last_error=None)

    async def failed(self, delivery: ClaimedDelivery, error: str, retry_at: datetime) -> None:
        await self._settle(delivery, next_attempt_at=retry_at, last_error=error[:200])

    async def discard(self, delivery: ClaimedDelivery) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(LogoutDeliveryRow).where(*_still_claimed_by(delivery)))

    async def _settle(self, delivery: ClaimedDelivery, **values: object) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(LogoutDeliveryRow).where(*_still_claimed_by(delivery)).values(**values)
            )


def _still_claimed_by(delivery: ClaimedDelivery) -> tuple[ColumnElement[bool], ...]:
    """The row as this attempt left it: an attempt that outlived its lease, while another node
    claimed the row again, must not overwrite what that node records."""
    return (
        LogoutDeliveryRow.id == delivery.id,
        LogoutDeliveryRow.attempts == delivery.attempts,
        LogoutDeliveryRow.delivered_at.is_(None),
    )
