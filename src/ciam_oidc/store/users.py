"""Customer accounts: the `users` table and the UserStore behind it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.protocol.ports import AlreadyExists
from ciam_oidc.protocol.users import User
from ciam_oidc.store.base import Base, UTCDateTime, row_values, to_record
from ciam_oidc.store.database import Database


class UserRow(Base):
    __tablename__ = "users"

    sub: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    email_verified: Mapped[bool] = mapped_column(Boolean)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    disabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SqlUserStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def add_user(self, user: User) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(UserRow(**row_values(user)))
        except IntegrityError:
            raise AlreadyExists(f"a user with email {user.email!r} already exists") from None

    async def get_user(self, sub: str) -> User | None:
        async with self._sessions() as session:
            row = await session.get(UserRow, sub)
            return to_record(User, row) if row else None

    async def find_user_by_email(self, email: str) -> User | None:
        async with self._sessions() as session:
            row = await session.scalar(select(UserRow).where(UserRow.email == email))
            return to_record(User, row) if row else None

    async def list_users(self, limit: int = 100) -> Sequence[User]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(UserRow).order_by(UserRow.created_at, UserRow.sub).limit(limit)
            )
            return [to_record(User, row) for row in rows]

    async def set_password_hash(self, sub: str, password_hash: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(UserRow).where(UserRow.sub == sub).values(password_hash=password_hash)
            )

    async def update_profile(self, sub: str, claims: dict[str, Any], now: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(UserRow).where(UserRow.sub == sub).values(claims=claims, updated_at=now)
            )

    async def change_email(self, sub: str, email: str, verified: bool, now: datetime) -> None:
        try:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(UserRow)
                    .where(UserRow.sub == sub)
                    .values(email=email, email_verified=verified, updated_at=now)
                )
        except IntegrityError:
            raise AlreadyExists(f"a user with email {email!r} already exists") from None

    async def delete_user(self, sub: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(UserRow).where(UserRow.sub == sub))
            return bool(getattr(result, "rowcount", 0))
