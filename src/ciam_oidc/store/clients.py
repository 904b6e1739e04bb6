"""Client registrations: the `clients` table and the ClientStore behind it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    LargeBinary,
    String,
    Text,
    delete,
    false,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.ports import AlreadyExists
from ciam_oidc.store.base import Base, UTCDateTime, row_values, to_record
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import GrantRow


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
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(16), server_default="RS256")
    first_party: Mapped[bool] = mapped_column(Boolean, server_default=false())
    sealed_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    first_factors: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    second_factors: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    require_mfa: Mapped[bool | None] = mapped_column(Boolean)
    allow_registration: Mapped[bool | None] = mapped_column(Boolean)
    logo_uri: Mapped[str | None] = mapped_column(Text)
    brand_color: Mapped[str | None] = mapped_column(String(7))
    upstreams: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    jwks_uri: Mapped[str | None] = mapped_column(Text)
    sector_identifier_uri: Mapped[str | None] = mapped_column(Text)
    subject_type: Mapped[str] = mapped_column(String(16), server_default="public")
    userinfo_signed_response_alg: Mapped[str | None] = mapped_column(String(16))
    request_object_signing_alg: Mapped[str | None] = mapped_column(String(16))
    request_uris: Mapped[list[str]] = mapped_column(JSON)
    token_endpoint_auth_signing_alg: Mapped[str | None] = mapped_column(String(16))
    default_max_age: Mapped[int | None] = mapped_column(Integer)
    require_auth_time: Mapped[bool] = mapped_column(Boolean, server_default=false())
    default_acr_values: Mapped[list[str]] = mapped_column(JSON)
    initiate_login_uri: Mapped[str | None] = mapped_column(Text)
    contacts: Mapped[list[str]] = mapped_column(JSON)
    client_uri: Mapped[str | None] = mapped_column(Text)
    policy_uri: Mapped[str | None] = mapped_column(Text)
    tos_uri: Mapped[str | None] = mapped_column(Text)
    frontchannel_logout_uri: Mapped[str | None] = mapped_column(Text)
    frontchannel_logout_session_required: Mapped[bool] = mapped_column(
        Boolean, server_default=false()
    )
    backchannel_logout_uri: Mapped[str | None] = mapped_column(Text)
    backchannel_logout_session_required: Mapped[bool] = mapped_column(
        Boolean, server_default=false()
    )
    registration_token_digest: Mapped[str | None] = mapped_column(String(64))


class SqlClientStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def add_client(self, client: Client) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(ClientRow(**row_values(client)))
        except IntegrityError:
            raise AlreadyExists(f"client {client.client_id!r} already exists") from None

    async def get_client(self, client_id: str) -> Client | None:
        async with self._sessions() as session:
            row = await session.get(ClientRow, client_id)
            return to_record(Client, row) if row else None

    async def list_clients(self) -> Sequence[Client]:
        async with self._sessions() as session:
            rows = await session.scalars(select(ClientRow).order_by(ClientRow.created_at))
            return [to_record(Client, row) for row in rows]

    async def delete_client(self, client_id: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ClientRow).where(ClientRow.client_id == client_id)
            )
            return bool(getattr(result, "rowcount", 0))

    async def update_client(self, client: Client) -> bool:
        """Replace every stored value of the client with this client_id."""
        values = row_values(client)
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ClientRow)
                .where(ClientRow.client_id == client.client_id)
                .values({name: value for name, value in values.items() if name != "client_id"})
            )
            return bool(getattr(result, "rowcount", 0))

    async def retire_client(self, client_id: str, now: datetime) -> bool:
        """Delete the client and revoke its live grants in one transaction, so its refresh
        tokens and access tokens stop working with it (RFC 7592 §2.3)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ClientRow).where(ClientRow.client_id == client_id)
            )
            await session.execute(
                update(GrantRow)
                .where(GrantRow.client_id == client_id, GrantRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return bool(getattr(result, "rowcount", 0))
