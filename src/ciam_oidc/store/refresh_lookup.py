"""Reading refresh tokens without spending them: the RefreshTokenLookup behind introspection
(RFC 7662) and revocation (RFC 7009), over the `refresh_tokens` table of `store/grants.py`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ciam_oidc.protocol.authorizations import RefreshTokenRecord
from ciam_oidc.store.authorization_json import refresh_token_from
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import RefreshTokenRow


class SqlRefreshTokenLookup:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def find_refresh_token(self, digest: str, now: datetime) -> RefreshTokenRecord | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(RefreshTokenRow).where(
                    RefreshTokenRow.digest == digest,
                    RefreshTokenRow.rotated_at.is_(None),
                    RefreshTokenRow.expires_at > now,
                )
            )
            if row is None:
                return None
            return refresh_token_from(
                row.record, row.grant_id, row.client_id, row.issued_at, row.expires_at
            )
