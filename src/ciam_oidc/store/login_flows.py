"""Login flows in progress: the `login_flows` table.

A flow outlives the request that started it and may continue on any node, so its state lives
here, not in a process. The state is an opaque JSON document owned by `authn/`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.flows import StaleFlow
from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class LoginFlowRow(Base):
    __tablename__ = "login_flows"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SqlLoginFlowStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def create_flow(
        self, flow_id: str, state: dict[str, Any], now: datetime, expires_at: datetime
    ) -> None:
        async with self._sessions.begin() as db:
            db.add(
                LoginFlowRow(
                    id=flow_id, state=state, version=1, created_at=now, expires_at=expires_at
                )
            )

    async def load_flow(self, flow_id: str, now: datetime) -> tuple[dict[str, Any], int] | None:
        async with self._sessions() as db:
            row = await db.scalar(
                select(LoginFlowRow).where(
                    LoginFlowRow.id == flow_id, LoginFlowRow.expires_at > now
                )
            )
            return (dict(row.state), row.version) if row else None

    async def save_flow(self, flow_id: str, state: dict[str, Any], version: int) -> None:
        """Optimistic concurrency: the write succeeds only over the version that was read."""
        async with self._sessions.begin() as db:
            result = await db.execute(
                update(LoginFlowRow)
                .where(LoginFlowRow.id == flow_id, LoginFlowRow.version == version)
                .values(state=state, version=version + 1)
            )
            if not getattr(result, "rowcount", 0):
                raise StaleFlow(flow_id)

    async def delete_flow(self, flow_id: str, version: int) -> None:
        """Claims the flow's end: of two requests finishing one flow, one wins, one is stale."""
        async with self._sessions.begin() as db:
            result = await db.execute(
                delete(LoginFlowRow).where(
                    LoginFlowRow.id == flow_id, LoginFlowRow.version == version
                )
            )
            if not getattr(result, "rowcount", 0):
                raise StaleFlow(flow_id)
