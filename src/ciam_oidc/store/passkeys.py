"""Passkeys and their pending challenges: the `passkeys` and `passkey_challenges` tables.

Every write that a race could double is one guarded statement, so it holds across nodes: a
credential id is inserted once (to anyone), a sign counter only moves forward, and a challenge
is deleted by exactly one of the requests presenting it. Challenges are stored as SHA-256
digests; an abandoned one matters only until `expires_at`, after which its row may be deleted
(the index on `expires_at` is for that cleanup).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Delete,
    ForeignKey,
    LargeBinary,
    String,
    Update,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.passkeys import Passkey
from ciam_oidc.store.base import Base, UTCDateTime, row_values, to_record
from ciam_oidc.store.database import Database


class PasskeyRow(Base):
    __tablename__ = "passkeys"

    # base64url of at most 1023 bytes (WebAuthn §7.1).
    credential_id: Mapped[str] = mapped_column(String(1364), primary_key=True)
    # An account's passkeys go with it.
    sub: Mapped[str] = mapped_column(ForeignKey("users.sub", ondelete="CASCADE"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # An unsigned 32-bit counter (WebAuthn §6.1): wider than a signed INTEGER.
    sign_count: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    transports: Mapped[list[str]] = mapped_column(JSON)
    backup_eligible: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasskeyChallengeRow(Base):
    __tablename__ = "passkey_challenges"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str | None] = mapped_column(String(64))
    """The account the ceremony is for; None for a sign-in that has not identified anyone."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SqlPasskeyStore:
    """Implements `authn.passkeys.PasskeyStore`."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions
        self._insert = sqlite.insert if database.is_sqlite else postgresql.insert

    async def add_passkey(self, passkey: Passkey) -> bool:
        statement = (
            self._insert(PasskeyRow)
            .values(**row_values(passkey))
            .on_conflict_do_nothing(index_elements=[PasskeyRow.credential_id])
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
            return bool(getattr(result, "rowcount", 0))

    async def find_passkey(self, credential_id: str) -> Passkey | None:
        async with self._sessions() as session:
            row = await session.get(PasskeyRow, credential_id)
            return to_record(Passkey, row) if row else None

    async def list_passkeys(self, sub: str) -> Sequence[Passkey]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(PasskeyRow)
                .where(PasskeyRow.sub == sub)
                .order_by(PasskeyRow.created_at, PasskeyRow.credential_id)
            )
            return [to_record(Passkey, row) for row in rows]

    async def record_use(self, credential_id: str, sign_count: int, now: datetime) -> bool:
        """Of two nodes accepting the same counter value, only the first write matches."""
        # Authenticators that keep no counter always report 0 (WebAuthn §6.1.1).
        moved_forward = (
            PasskeyRow.sign_count == 0 if sign_count == 0 else PasskeyRow.sign_count < sign_count
        )
        return await self._update(
            update(PasskeyRow)
            .where(PasskeyRow.credential_id == credential_id, moved_forward)
            .values(sign_count=sign_count, last_used_at=now)
        )

    async def rename_passkey(self, sub: str, credential_id: str, name: str) -> bool:
        return await self._update(
            update(PasskeyRow)
            .where(PasskeyRow.credential_id == credential_id, PasskeyRow.sub == sub)
            .values(name=name)
        )

    async def remove_passkey(self, sub: str, credential_id: str) -> bool:
        return await self._update(
            delete(PasskeyRow).where(
                PasskeyRow.credential_id == credential_id, PasskeyRow.sub == sub
            )
        )

    async def save_challenge(self, digest: str, sub: str | None, expires_at: datetime) -> None:
        async with self._sessions.begin() as session:
            session.add(PasskeyChallengeRow(digest=digest, sub=sub, expires_at=expires_at))

    async def consume_challenge(self, digest: str, sub: str | None, now: datetime) -> bool:
        return await self._update(
            delete(PasskeyChallengeRow).where(
                PasskeyChallengeRow.digest == digest,
                PasskeyChallengeRow.sub.is_(None)
                if sub is None
                else PasskeyChallengeRow.sub == sub,
                PasskeyChallengeRow.expires_at > now,
            )
        )

    async def _update(self, statement: Update | Delete) -> bool:
        """Run one UPDATE or DELETE; True when it touched a row."""
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
            return bool(getattr(result, "rowcount", 0))
