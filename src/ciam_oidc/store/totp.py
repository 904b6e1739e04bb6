"""Authenticator-app credentials and recovery codes: the TotpStore behind TOTP sign-in.

Secrets arrive sealed and recovery codes as keyed digests, so this module never sees either in
clear. Accepting a code and using a recovery code are each one guarded statement whose row
count is the answer, so the rule holds across nodes and parallel requests: of any number of
uses of one code, exactly one succeeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.totp_store import TotpCredential
from ciam_oidc.store.base import Base, UTCDateTime, to_record
from ciam_oidc.store.database import Database


class TotpCredentialRow(Base):
    __tablename__ = "totp_credentials"

    sub: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.sub", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    pending_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_step: Mapped[int] = mapped_column(Integer)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCodeRow(Base):
    __tablename__ = "recovery_codes"

    sub: Mapped[str] = mapped_column(
        String(64), ForeignKey("totp_credentials.sub", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)


class SqlTotpStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions
        self._insert = sqlite.insert if database.is_sqlite else postgresql.insert

    async def find_totp(self, sub: str) -> TotpCredential | None:
        async with self._sessions() as db:
            row = await db.get(TotpCredentialRow, sub)
            return to_record(TotpCredential, row) if row else None

    async def set_pending_secret(self, sub: str, sealed: bytes) -> None:
        statement = self._insert(TotpCredentialRow).values(
            sub=sub, secret=None, pending_secret=sealed, last_step=0, confirmed_at=None
        )
        statement = statement.on_conflict_do_update(
            index_elements=[TotpCredentialRow.sub], set_={"pending_secret": sealed}
        )
        async with self._sessions.begin() as db:
            await db.execute(statement)

    async def confirm_pending_secret(
        self,
        sub: str,
        sealed_pending: bytes,
        step: int,
        now: datetime,
        recovery_digests: Sequence[str],
    ) -> bool:
        """Guarded on the pending secret that was checked: of two confirmations racing, one
        wins, and a secret replaced meanwhile by a new enrolment is not confirmed."""
        async with self._sessions.begin() as db:
            result = await db.execute(
                update(TotpCredentialRow)
                .where(
                    TotpCredentialRow.sub == sub,
                    TotpCredentialRow.pending_secret == sealed_pending,
                )
                .values(
                    secret=sealed_pending, pending_secret=None, last_step=step, confirmed_at=now
                )
            )
            if not getattr(result, "rowcount", 0):
                return False
            await _replace_codes(db, sub, recovery_digests)
            return True

    async def accept_step(self, sub: str, sealed_secret: bytes, step: int) -> bool:
        """RFC 6238 §5.2: one UPDATE claims the step, refusing it and any older one after."""
        async with self._sessions.begin() as db:
            result = await db.execute(
                update(TotpCredentialRow)
                .where(
                    TotpCredentialRow.sub == sub,
                    TotpCredentialRow.secret == sealed_secret,
                    TotpCredentialRow.last_step < step,
                )
                .values(last_step=step)
            )
            return bool(getattr(result, "rowcount", 0))

    async def use_recovery_code(self, sub: str, digest: str) -> bool:
        async with self._sessions.begin() as db:
            result = await db.execute(
                delete(RecoveryCodeRow).where(
                    RecoveryCodeRow.sub == sub, RecoveryCodeRow.digest == digest
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def replace_recovery_codes(self, sub: str, digests: Sequence[str]) -> bool:
        async with self._sessions.begin() as db:
            # Locked, so a removal on another node waits rather than orphaning the new codes.
            confirmed = await db.scalar(
                select(TotpCredentialRow.sub)
                .where(TotpCredentialRow.sub == sub, TotpCredentialRow.secret.is_not(None))
                .with_for_update()
            )
            if confirmed is None:
                return False
            await _replace_codes(db, sub, digests)
            return True

    async def count_recovery_codes(self, sub: str) -> int:
        async with self._sessions() as db:
            count = await db.scalar(
                select(func.count()).select_from(RecoveryCodeRow).where(RecoveryCodeRow.sub == sub)
            )
            return int(count or 0)

    async def delete_totp(self, sub: str) -> None:
        async with self._sessions.begin() as db:
            await db.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.sub == sub))
            await db.execute(delete(TotpCredentialRow).where(TotpCredentialRow.sub == sub))


async def _replace_codes(db: AsyncSession, sub: str, digests: Sequence[str]) -> None:
    await db.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.sub == sub))
    db.add_all(RecoveryCodeRow(sub=sub, digest=digest) for digest in digests)
