"""Signing keys: the `signing_keys` table and the KeyStore behind the key ring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.crypto.signing_keys import StoredKey
from ciam_oidc.store.base import Base, UTCDateTime, row_values, to_record
from ciam_oidc.store.database import Database


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16), index=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    sealed_private_jwk: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    activates_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SqlKeyStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def list_keys(self) -> Sequence[StoredKey]:
        async with self._sessions() as session:
            rows = await session.scalars(select(SigningKeyRow).order_by(SigningKeyRow.created_at))
            return [to_record(StoredKey, row) for row in rows]

    async def add_keys(self, keys: Sequence[StoredKey], retire_current_at: datetime) -> None:
        algs = {key.alg for key in keys}
        async with self._sessions.begin() as session:
            await session.execute(
                update(SigningKeyRow)
                .where(SigningKeyRow.alg.in_(algs), SigningKeyRow.retires_at.is_(None))
                .values(retires_at=retire_current_at)
            )
            session.add_all(SigningKeyRow(**row_values(key)) for key in keys)
