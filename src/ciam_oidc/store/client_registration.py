"""Dynamic client registration's own state: initial access tokens (RFC 7591 §3), which an
operator hands to whoever may register clients, stored as SHA-256 digests only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class InitialAccessTokenRow(Base):
    __tablename__ = "initial_access_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SqlInitialAccessTokenStore:
    """Initial access tokens are reusable until they expire or are deleted: an operator hands
    one to a team that registers its clients (or a conformance suite registering dozens)."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def add_initial_token(
        self, digest: str, label: str, created_at: datetime, expires_at: datetime | None
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                InitialAccessTokenRow(
                    digest=digest, label=label, created_at=created_at, expires_at=expires_at
                )
            )

    async def initial_token_is_valid(self, digest: str, now: datetime) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(InitialAccessTokenRow.digest).where(
                    InitialAccessTokenRow.digest == digest,
                    or_(
                        InitialAccessTokenRow.expires_at.is_(None),
                        InitialAccessTokenRow.expires_at > now,
                    ),
                )
            )
            return found is not None
