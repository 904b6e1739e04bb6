"""Revoked access tokens: the `revoked_access_tokens` table behind RevokedTokenStore.

JWT access tokens cannot be recalled from their holders, so revocation (RFC 7009) is a list of
`jti`s the provider's own endpoints consult. A row matters only until its token expires
(`expires_at`); after that it may be deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class RevokedAccessTokenRow(Base):
    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SqlRevokedTokenStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def revoke_access_token(self, jti: str, expires_at: datetime) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(RevokedAccessTokenRow(jti=jti, expires_at=expires_at))
        except IntegrityError:
            pass  # revoked before, by this request's twin or on another node: same outcome

    async def is_revoked(self, jti: str) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(RevokedAccessTokenRow.jti).where(RevokedAccessTokenRow.jti == jti)
            )
            return found is not None
