"""Emailed sign-in links: the `magic_links` table.

Rows hold the SHA-256 of the token, never the token. Spending a link is one conditional UPDATE
(still unused, not expired, of this flow), so when two nodes receive the same link at once
exactly one of them wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.authenticators.magic_link import MagicLink
from ciam_oidc.store.base import Base, UTCDateTime, row_values, to_record
from ciam_oidc.store.database import Database


class MagicLinkRow(Base):
    __tablename__ = "magic_links"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    sub: Mapped[str] = mapped_column(String(64))
    device_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SqlMagicLinkStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def add_link(self, link: MagicLink) -> None:
        async with self._sessions.begin() as session:
            session.add(MagicLinkRow(**row_values(link)))

    async def find_live_link(self, digest: str, now: datetime) -> MagicLink | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(MagicLinkRow).where(MagicLinkRow.digest == digest, _live(now))
            )
            return to_record(MagicLink, row) if row else None

    async def consume_link(self, digest: str, flow_id: str, now: datetime) -> str | None:
        async with self._sessions.begin() as session:
            spent = await session.execute(
                update(MagicLinkRow)
                .where(MagicLinkRow.digest == digest, MagicLinkRow.flow_id == flow_id, _live(now))
                .values(used_at=now)
                .returning(MagicLinkRow.sub)
            )
            return spent.scalar_one_or_none()


def _live(now: datetime) -> ColumnElement[bool]:
    return and_(MagicLinkRow.used_at.is_(None), MagicLinkRow.expires_at > now)
