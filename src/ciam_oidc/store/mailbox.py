"""The development mailbox: outgoing mail kept in the `dev_mailbox` table instead of sent.

In the database rather than in memory so that, with several nodes, every node's mail shows on
the one page whichever node serves it. Never enabled on a public deployment: anyone who can
read the page can use the sign-in links in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.mail import KeptMessage, Message
from ciam_oidc.store.base import Base, UTCDateTime, to_record
from ciam_oidc.store.database import Database


class DevMailboxRow(Base):
    __tablename__ = "dev_mailbox"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DevMailbox:
    """A Mailer that keeps what it is given, and the Mailbox that lists it."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._sessions = database.sessions
        self._clock = clock

    async def send(self, message: Message) -> None:
        """Keeps the plain-text body only; the page shows nothing else."""
        async with self._sessions.begin() as session:
            session.add(
                DevMailboxRow(
                    id=uuid.uuid4().hex,
                    to=message.to,
                    subject=message.subject,
                    text=message.text,
                    created_at=self._clock(),
                )
            )

    async def list(self, limit: int = 50) -> Sequence[KeptMessage]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(DevMailboxRow)
                .order_by(DevMailboxRow.created_at.desc(), DevMailboxRow.id)
                .limit(limit)
            )
            return [to_record(KeptMessage, row) for row in rows]

    async def get(self, message_id: str) -> KeptMessage | None:
        async with self._sessions() as session:
            row = await session.get(DevMailboxRow, message_id)
            return to_record(KeptMessage, row) if row else None
