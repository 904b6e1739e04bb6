"""Client registrations: the `clients` table and the ClientStore behind it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, String, Text, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.ports import AlreadyExists
from ciam_oidc.store.base import Base, UTCDateTime
from ciam_oidc.store.database import Database


class ClientRow(Base):
    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    response_types: Mapped[list[str]] = mapped_column(JSON)
    scope: Mapped[str] = mapped_column(Text)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @classmethod
    def from_client(cls, client: Client) -> ClientRow:
        return cls(
            client_id=client.client_id,
            name=client.name,
            redirect_uris=list(client.redirect_uris),
            post_logout_redirect_uris=list(client.post_logout_redirect_uris),
            grant_types=list(client.grant_types),
            response_types=list(client.response_types),
            scope=client.scope,
            token_endpoint_auth_method=client.token_endpoint_auth_method,
            secret_digest=client.secret_digest,
            created_at=client.created_at,
        )

    def to_client(self) -> Client:
        return Client(
            client_id=self.client_id,
            name=self.name,
            redirect_uris=tuple(self.redirect_uris),
            post_logout_redirect_uris=tuple(self.post_logout_redirect_uris),
            grant_types=tuple(self.grant_types),
            response_types=tuple(self.response_types),
            scope=self.scope,
            token_endpoint_auth_method=self.token_endpoint_auth_method,
            secret_digest=self.secret_digest,
            created_at=self.created_at,
        )


class SqlClientStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def add_client(self, client: Client) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(ClientRow.from_client(client))
        except IntegrityError:
            raise AlreadyExists(f"client {client.client_id!r} already exists") from None

    async def get_client(self, client_id: str) -> Client | None:
        async with self._sessions() as session:
            row = await session.get(ClientRow, client_id)
            return row.to_client() if row else None

    async def list_clients(self) -> Sequence[Client]:
        async with self._sessions() as session:
            rows = await session.scalars(select(ClientRow).order_by(ClientRow.created_at))
            return [row.to_client() for row in rows]

    async def delete_client(self, client_id: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ClientRow).where(ClientRow.client_id == client_id)
            )
            return bool(getattr(result, "rowcount", 0))
