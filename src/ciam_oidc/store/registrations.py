"""Registrations waiting for their emailed code: the `pending_registrations` table.

Counting a try at the code is one guarded UPDATE (live, tries left) that returns the row, and
completing a registration is one DELETE that returns it, so however many nodes receive guesses
or the right code at the same moment, the limit holds and one account is created.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Integer, String, Text, and_, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.registration import PendingRegistration
from ciam_oidc.store.base import Base, UTCDateTime, row_values, to_record
from ciam_oidc.store.database import Database


class PendingRegistrationRow(Base):
    __tablename__ = "pending_registrations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    terms_version: Mapped[str | None] = mapped_column(Text)
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    flow_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Indexed for the sweep of expired registrations that every new one makes.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SqlPendingRegistrationStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def add_registration(self, registration: PendingRegistration) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PendingRegistrationRow).where(
                    PendingRegistrationRow.expires_at <= registration.created_at
                )
            )
            session.add(PendingRegistrationRow(**row_values(registration)))

    async def find_registration(
        self, registration_id: str, now: datetime, max_attempts: int
    ) -> PendingRegistration | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(PendingRegistrationRow).where(_usable(registration_id, now, max_attempts))
            )
            return to_record(PendingRegistration, row) if row else None

    async def count_code_attempt(
        self, registration_id: str, now: datetime, max_attempts: int
    ) -> PendingRegistration | None:
        async with self._sessions.begin() as session:
            row = await session.scalar(
                update(PendingRegistrationRow)
                .where(_usable(registration_id, now, max_attempts))
                .values(attempts=PendingRegistrationRow.attempts + 1)
                .returning(PendingRegistrationRow)
            )
            return to_record(PendingRegistration, row) if row else None

    async def take_registration(self, registration_id: str) -> PendingRegistration | None:
        async with self._sessions.begin() as session:
            row = await session.scalar(
                delete(PendingRegistrationRow)
                .where(PendingRegistrationRow.id == registration_id)
                .returning(PendingRegistrationRow)
            )
            return to_record(PendingRegistration, row) if row else None


def _usable(registration_id: str, now: datetime, max_attempts: int) -> ColumnElement[bool]:
    return and_(
        PendingRegistrationRow.id == registration_id,
        PendingRegistrationRow.expires_at > now,
        PendingRegistrationRow.attempts < max_attempts,
    )
