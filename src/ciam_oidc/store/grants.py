"""Grants, authorization codes and refresh tokens: the `grants`, `authorization_codes` and
`refresh_tokens` tables.

Codes and refresh tokens are stored by SHA-256 digest only. Redeeming either is a single
conditional UPDATE, so two nodes racing to redeem the same value cannot both win.

Rotating a refresh token claims it, lets the caller check the claimed record and stores the
successor, all in one transaction: a check that fails rolls the claim back, so a request the
token's owner should not be punished for (a wider scope, say) leaves the token usable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    JSON,
    ColumnElement,
    ForeignKey,
    Row,
    String,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.protocol.authorizations import Authorization, RefreshTokenRecord
from ciam_oidc.protocol.ports import ConsumedCode, GrantSummary, RotatedRefreshToken
from ciam_oidc.store.authorization_json import (
    authorization_from,
    authorization_json,
    refresh_token_from,
    refresh_token_json,
)
from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class GrantRow(Base):
    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    sub: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)


class AuthorizationCodeRow(Base):
    __tablename__ = "authorization_codes"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    authorization: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshTokenRow(Base):
    __tablename__ = "refresh_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SqlGrantStore:
    """Implements GrantStore, CodeStore and RefreshTokenStore: one aggregate, one module."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions
        self._is_sqlite = database.is_sqlite

    async def create_grant(
        self, grant_id: str, client_id: str, sub: str, now: datetime, session_id: str | None = None
    ) -> None:
        row = GrantRow(
            id=grant_id, client_id=client_id, sub=sub, created_at=now, session_id=session_id
        )
        async with self._sessions.begin() as session:
            session.add(row)

    async def revoke_grant(self, grant_id: str, now: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(GrantRow)
                .where(GrantRow.id == grant_id, GrantRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    async def revoke_grants_of(self, sub: str, now: datetime) -> int:
        return await self._revoke(GrantRow.sub == sub, now=now)

    async def grant_is_active(self, grant_id: str) -> bool:
        async with self._sessions() as session:
            found = await session.execute(
                select(GrantRow.revoked_at).where(GrantRow.id == grant_id)
            )
            row = found.first()
            return row is not None and row.revoked_at is None

    async def grants_of(self, sub: str) -> Sequence[GrantSummary]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(GrantRow.id, GrantRow.client_id, GrantRow.created_at)
                .where(GrantRow.sub == sub, GrantRow.revoked_at.is_(None))
                .order_by(GrantRow.created_at.desc(), GrantRow.id)
            )
            return [GrantSummary(row.id, row.client_id, row.created_at) for row in rows]

    async def revoke_client_grants(self, sub: str, client_id: str, now: datetime) -> int:
        return await self._revoke(GrantRow.sub == sub, GrantRow.client_id == client_id, now=now)

    async def _revoke(self, *conditions: ColumnElement[bool], now: datetime) -> int:
        """One UPDATE over the live grants matching `conditions`: a revocation racing another
        on any node counts each grant once."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(GrantRow)
                .where(*conditions, GrantRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return int(getattr(result, "rowcount", 0))

    async def save_code(
        self, digest: str, authorization: Authorization, expires_at: datetime
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                AuthorizationCodeRow(
                    digest=digest,
                    grant_id=authorization.grant_id,
                    authorization=authorization_json(authorization),
                    expires_at=expires_at,
                )
            )

    async def consume_code(self, digest: str, now: datetime) -> ConsumedCode | None:
        async with self._sessions.begin() as session:
            claimed = await session.execute(
                update(AuthorizationCodeRow)
                .where(
                    AuthorizationCodeRow.digest == digest,
                    AuthorizationCodeRow.consumed_at.is_(None),
                    AuthorizationCodeRow.expires_at > now,
                )
                .values(consumed_at=now)
                .returning(AuthorizationCodeRow.authorization)
            )
            first = claimed.scalar_one_or_none()
            if first is not None:
                return ConsumedCode(authorization_from(first), first_use=True)
            replayed = await session.scalar(
                select(AuthorizationCodeRow.authorization).where(
                    AuthorizationCodeRow.digest == digest,
                    AuthorizationCodeRow.consumed_at.is_not(None),
                )
            )
            return ConsumedCode(authorization_from(replayed), first_use=False) if replayed else None

    async def save_refresh_token(self, digest: str, record: RefreshTokenRecord) -> None:
        async with self._sessions.begin() as session:
            session.add(_refresh_row(digest, record))

    async def rotate_refresh_token(
        self,
        digest: str,
        client_id: str,
        successor_digest: str,
        now: datetime,
        expires_at: datetime,
        accept: Callable[[RefreshTokenRecord], None],
    ) -> RotatedRefreshToken | None:
        async with self._sessions.begin() as session:
            claim = (
                update(RefreshTokenRow)
                .where(
                    RefreshTokenRow.digest == digest,
                    RefreshTokenRow.client_id == client_id,
                    RefreshTokenRow.rotated_at.is_(None),
                    RefreshTokenRow.expires_at > now,
                )
                .values(rotated_at=now)
            )
            if self._is_sqlite:
                # SQLite has no data-modifying CTE; it is in-process, so a second statement
                # costs no round trip. The claim holds its write lock until commit.
                found = (await session.execute(claim.returning(*_RECORD_COLUMNS))).first()
                if found is not None:
                    record = _refresh_record(found)
                    accept(record)
                    session.add(_successor_row(successor_digest, found, now, expires_at))
                    return RotatedRefreshToken(record, first_use=True)
            else:
                claimed = claim.returning(*_RECORD_COLUMNS).cte("claimed")
                found = (
                    await session.execute(
                        select(claimed).add_cte(
                            _successor_insert(claimed, successor_digest, now, expires_at)
                        )
                    )
                ).first()
                if found is not None:
                    record = _refresh_record(found)
                    accept(record)  # if it raises, the claim and the successor roll back
                    return RotatedRefreshToken(record, first_use=True)
            # A statement of its own: under READ COMMITTED it sees a rotation committed by a
            # racing node while the claim above waited on that node's row lock.
            replayed = (
                await session.execute(
                    select(*_RECORD_COLUMNS).where(
                        RefreshTokenRow.digest == digest,
                        RefreshTokenRow.client_id == client_id,
                        RefreshTokenRow.rotated_at.is_not(None),
                    )
                )
            ).first()
            return (
                RotatedRefreshToken(_refresh_record(replayed), first_use=False)
                if replayed
                else None
            )


_RECORD_COLUMNS = (
    RefreshTokenRow.grant_id,
    RefreshTokenRow.client_id,
    RefreshTokenRow.record,
    RefreshTokenRow.issued_at,
    RefreshTokenRow.expires_at,
)


def _refresh_row(digest: str, record: RefreshTokenRecord) -> RefreshTokenRow:
    return RefreshTokenRow(
        digest=digest,
        grant_id=record.grant_id,
        client_id=record.client_id,
        record=refresh_token_json(record),
        issued_at=record.issued_at,
        expires_at=record.expires_at,
    )


def _successor_row(
    digest: str, rotated: Row[Any], now: datetime, expires_at: datetime
) -> RefreshTokenRow:
    """The successor of a rotated token: same grant, client and stored record (RFC 6749 §6:
    the same scope), its own lifetime."""
    return RefreshTokenRow(
        digest=digest,
        grant_id=rotated.grant_id,
        client_id=rotated.client_id,
        record=rotated.record,
        issued_at=now,
        expires_at=expires_at,
    )


def _successor_insert(claimed: CTE, digest: str, now: datetime, expires_at: datetime) -> CTE:
    """`_successor_row` as a data-modifying CTE over the claim (PostgreSQL), so that claiming
    the presented token and storing its successor are one statement and one round trip."""
    return (
        insert(RefreshTokenRow)
        .from_select(
            ["digest", "grant_id", "client_id", "record", "issued_at", "expires_at"],
            select(
                literal(digest, RefreshTokenRow.digest.type),
                claimed.c.grant_id,
                claimed.c.client_id,
                claimed.c.record,
                literal(now, UTCDateTime),
                literal(expires_at, UTCDateTime),
            ),
        )
        .cte("successor")
    )


def _refresh_record(row: Row[Any]) -> RefreshTokenRecord:
    return refresh_token_from(
        row.record, row.grant_id, row.client_id, row.issued_at, row.expires_at
    )


class SqlSessionClients:
    """Implements authn.logout_channels.SessionClients: who to tell when a session ends."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def clients_of_session(self, sub: str, session_id: str) -> Sequence[str]:
        """Grants record the session they were given in (implicit flows have no code); grants
        from before that column are found through their codes, which carry it too."""
        session_of_code = AuthorizationCodeRow.authorization["session_id"].as_string()
        async with self._sessions() as session:
            rows = await session.execute(
                select(GrantRow.client_id)
                .outerjoin(AuthorizationCodeRow, AuthorizationCodeRow.grant_id == GrantRow.id)
                .where(
                    GrantRow.sub == sub,
                    or_(GrantRow.session_id == session_id, session_of_code == session_id),
                )
                .distinct()
                .order_by(GrantRow.client_id)
            )
            return list(rows.scalars())
