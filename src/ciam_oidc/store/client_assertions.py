"""Used client assertion `jti`s: the `client_assertion_jtis` table behind AssertionReplayStore.

The primary key (client_id, jti) makes the second insert of a pair fail, on whichever node it
happens, so an assertion is accepted once (RFC 7523 §3 item 7) without a read before the write.
A row matters only until `expires_at`; after that the assertion fails on `exp`, and the row may
be deleted (the index on `expires_at` is for that cleanup).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class ClientAssertionJtiRow(Base):
    __tablename__ = "client_assertion_jtis"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SqlAssertionReplayStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def spend_assertion_jti(self, client_id: str, jti: str, expires_at: datetime) -> bool:
        try:
            async with self._sessions.begin() as session:
                session.add(
                    ClientAssertionJtiRow(client_id=client_id, jti=jti, expires_at=expires_at)
                )
        except IntegrityError:
            return False  # used before, by this client, here or on another node
        return True
