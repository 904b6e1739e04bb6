"""Password reset links and pending email changes: the `password_resets` and `email_changes`
tables.

Reset links are stored as the SHA-256 of the token, never the token; email change codes as an
HMAC (six digits have too little entropy for a bare hash). Every state change that must happen
once (spending a link, counting a guess at a code, finishing a change) is one guarded statement,
so two nodes receiving the same request at the same moment cannot both succeed.
Both tables reference the account, so deleting it deletes what is pending for it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Integer, String, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.credentials import PendingEmailChange
from ciam_oidc.authn.password_reset import ResetLink
from ciam_oidc.store.base import Base, UTCDateTime, row_values, to_record
from ciam_oidc.store.database import Database


class PasswordResetRow(Base):
    __tablename__ = "password_resets"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str] = mapped_column(ForeignKey("users.sub", ondelete="CASCADE"), index=True)
    flow_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EmailChangeRow(Base):
    """At most one pending change per account: asking again replaces it."""

    __tablename__ = "email_changes"

    sub: Mapped[str] = mapped_column(ForeignKey("users.sub", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    code_digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SqlResetLinkStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def add_reset_link(self, link: ResetLink) -> None:
        async with self._sessions.begin() as session:
            session.add(PasswordResetRow(**row_values(link)))

    async def find_live_reset_link(self, digest: str, now: datetime) -> ResetLink | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(PasswordResetRow).where(PasswordResetRow.digest == digest, _live(now))
            )
            return to_record(ResetLink, row) if row else None

    async def consume_reset_link(self, digest: str, now: datetime) -> ResetLink | None:
        async with self._sessions.begin() as session:
            spent = await session.scalar(
                update(PasswordResetRow)
                .where(PasswordResetRow.digest == digest, _live(now))
                .values(used_at=now)
                .returning(PasswordResetRow)
            )
            return to_record(ResetLink, spent) if spent else None

    async def void_reset_links_of(self, sub: str, now: datetime) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(PasswordResetRow)
                .where(PasswordResetRow.sub == sub, _live(now))
                .values(used_at=now)
            )
            return int(getattr(result, "rowcount", 0))


def _live(now: datetime) -> ColumnElement[bool]:
    return and_(PasswordResetRow.used_at.is_(None), PasswordResetRow.expires_at > now)


class SqlEmailChangeStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions
        self._insert = sqlite.insert if database.is_sqlite else postgresql.insert

    async def put_email_change(self, change: PendingEmailChange) -> None:
        """One upsert, so two requests racing on two nodes leave one change, not an error."""
        values = row_values(change)
        statement = self._insert(EmailChangeRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[EmailChangeRow.sub],
            set_={name: value for name, value in values.items() if name != "sub"},
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def find_email_change(self, sub: str, now: datetime) -> PendingEmailChange | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(EmailChangeRow).where(
                    EmailChangeRow.sub == sub, EmailChangeRow.expires_at > now
                )
            )
            return to_record(PendingEmailChange, row) if row else None

    async def count_email_change_attempt(
        self, sub: str, now: datetime, max_attempts: int
    ) -> PendingEmailChange | None:
        async with self._sessions.begin() as session:
            counted = await session.scalar(
                update(EmailChangeRow)
                .where(
                    EmailChangeRow.sub == sub,
                    EmailChangeRow.expires_at > now,
                    EmailChangeRow.attempts < max_attempts,
                )
                .values(attempts=EmailChangeRow.attempts + 1)
                .returning(EmailChangeRow)
            )
            return to_record(PendingEmailChange, counted) if counted else None

    async def finish_email_change(self, sub: str, code_digest: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(EmailChangeRow).where(
                    EmailChangeRow.sub == sub, EmailChangeRow.code_digest == code_digest
                )
            )
            return bool(getattr(result, "rowcount", 0))
