"""Upstream identity providers and the identities linked through them: the `upstreams`,
`linked_identities` and `upstream_redirects` tables.

Client secrets and private keys are sealed (AES-GCM, bound to the upstream's id), so a
database dump alone does not let anyone act as this provider at Google or Apple. A pending
redirect is keyed by the SHA-256 of its `state`, and taking it deletes it, so a callback can be
answered once, by one node.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.authn.upstreams import (
    LinkedIdentity,
    PendingRedirect,
    Upstream,
    UpstreamKind,
    UpstreamRequest,
)
from ciam_oidc.crypto.encryption import DecryptionError, SecretBox
from ciam_oidc.protocol.ports import AlreadyExists
from ciam_oidc.protocol.users import User
from ciam_oidc.store.base import Base, UTCDateTime, row_values, to_record
from ciam_oidc.store.database import Database
from ciam_oidc.store.users import UserRow


class UpstreamRow(Base):
    __tablename__ = "upstreams"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    preset: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str] = mapped_column(String(255))
    sealed_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    issuer: Mapped[str | None] = mapped_column(Text)
    authorization_endpoint: Mapped[str | None] = mapped_column(Text)
    token_endpoint: Mapped[str | None] = mapped_column(Text)
    userinfo_endpoint: Mapped[str | None] = mapped_column(Text)
    jwks_uri: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    claim_map: Mapped[dict[str, str]] = mapped_column(JSON)
    options: Mapped[dict[str, str]] = mapped_column(JSON)
    icon_uri: Mapped[str | None] = mapped_column(Text)
    trust_email: Mapped[bool] = mapped_column(Boolean)
    trust_authn: Mapped[bool] = mapped_column(Boolean)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkedIdentityRow(Base):
    __tablename__ = "linked_identities"

    issuer: Mapped[str] = mapped_column(String(255), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    sub: Mapped[str] = mapped_column(ForeignKey("users.sub", ondelete="CASCADE"), index=True)
    upstream_id: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UpstreamRedirectRow(Base):
    __tablename__ = "upstream_redirects"

    state_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    upstream_id: Mapped[str] = mapped_column(String(32))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The UpstreamRequest: state, nonce, PKCE code_verifier, redirect_uri."""
    device_digest: Mapped[str] = mapped_column(String(64))
    flow_id: Mapped[str | None] = mapped_column(String(64))
    sub: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SqlUpstreamStore:
    """Implements authn.upstreams.UpstreamStore. `secrets` is the "upstream-secrets" box."""

    def __init__(self, database: Database, secrets: SecretBox) -> None:
        self._sessions = database.sessions
        self._secrets = secrets

    async def add_upstream(self, upstream: Upstream) -> None:
        if upstream.created_at is None:
            raise ValueError(f"upstream {upstream.id!r} has no created_at")
        row = UpstreamRow(
            id=upstream.id, created_at=upstream.created_at, **self._settings_of(upstream)
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            raise AlreadyExists(f"upstream {upstream.id!r} already exists") from None

    async def get_upstream(self, upstream_id: str) -> Upstream | None:
        async with self._sessions() as session:
            row = await session.get(UpstreamRow, upstream_id)
            return self._upstream_of(row) if row else None

    async def list_upstreams(self) -> Sequence[Upstream]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(UpstreamRow).order_by(UpstreamRow.created_at, UpstreamRow.id)
            )
            return [self._upstream_of(row) for row in rows]

    async def update_upstream(self, upstream: Upstream) -> None:
        """Everything but its id and creation time; secrets are sealed afresh."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(UpstreamRow)
                .where(UpstreamRow.id == upstream.id)
                .values(**self._settings_of(upstream))
            )

    async def delete_upstream(self, upstream_id: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(UpstreamRow).where(UpstreamRow.id == upstream_id))
            return bool(getattr(result, "rowcount", 0))

    def _settings_of(self, upstream: Upstream) -> dict[str, Any]:
        return {
            "name": upstream.name,
            "kind": upstream.kind.value,
            "preset": upstream.preset,
            "client_id": upstream.client_id,
            "sealed_secret": self._seal(upstream.client_secret, upstream.id, "client_secret"),
            "sealed_private_key": self._seal(upstream.private_key, upstream.id, "private_key"),
            "issuer": upstream.issuer,
            "authorization_endpoint": upstream.authorization_endpoint,
            "token_endpoint": upstream.token_endpoint,
            "userinfo_endpoint": upstream.userinfo_endpoint,
            "jwks_uri": upstream.jwks_uri,
            "scopes": list(upstream.scopes),
            "claim_map": dict(upstream.claim_map),
            "options": dict(upstream.options),
            "icon_uri": upstream.icon_uri,
            "trust_email": upstream.trust_email,
            "trust_authn": upstream.trust_authn,
            "enabled": upstream.enabled,
        }

    def _upstream_of(self, row: UpstreamRow) -> Upstream:
        return Upstream(
            id=row.id,
            name=row.name,
            kind=UpstreamKind(row.kind),
            preset=row.preset,
            client_id=row.client_id,
            client_secret=self._open(row.sealed_secret, row.id, "client_secret"),
            private_key=self._open(row.sealed_private_key, row.id, "private_key"),
            issuer=row.issuer,
            authorization_endpoint=row.authorization_endpoint,
            token_endpoint=row.token_endpoint,
            userinfo_endpoint=row.userinfo_endpoint,
            jwks_uri=row.jwks_uri,
            scopes=tuple(row.scopes),
            claim_map=dict(row.claim_map),
            options=dict(row.options),
            icon_uri=row.icon_uri,
            trust_email=row.trust_email,
            trust_authn=row.trust_authn,
            enabled=row.enabled,
            created_at=row.created_at,
        )

    def _seal(self, value: str | None, upstream_id: str, name: str) -> bytes | None:
        """Bound to the upstream and the field, so a sealed value copied to another row or
        column does not open."""
        if value is None:
            return None
        return self._secrets.seal(value.encode(), bound_to=f"upstream:{upstream_id}:{name}")

    def _open(self, sealed: bytes | None, upstream_id: str, name: str) -> str | None:
        if sealed is None:
            return None
        try:
            return self._secrets.open(sealed, bound_to=f"upstream:{upstream_id}:{name}").decode()
        except DecryptionError:
            raise DecryptionError(
                f"the {name} of upstream {upstream_id!r} does not open: it was sealed under "
                "another master secret"
            ) from None


class SqlLinkedIdentityStore:
    """Implements authn.upstreams.LinkedIdentityStore."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def find_link(self, issuer: str, subject: str) -> LinkedIdentity | None:
        async with self._sessions() as session:
            row = await session.get(LinkedIdentityRow, (issuer, subject))
            return to_record(LinkedIdentity, row) if row else None

    async def add_link(self, link: LinkedIdentity) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(LinkedIdentityRow(**row_values(link)))
        except IntegrityError:
            if await self.find_link(link.issuer, link.subject) is None:
                raise  # not a taken identity: the account is gone
            raise AlreadyExists(_linked_already(link)) from None

    async def add_account(self, user: User, link: LinkedIdentity) -> None:
        async with self._sessions.begin() as session:
            # Flushed one at a time so the error says which of the two is taken; the first
            # failure rolls the whole transaction back.
            try:
                session.add(UserRow(**row_values(user)))
                await session.flush()
            except IntegrityError:
                raise AlreadyExists(f"a user with email {user.email!r} already exists") from None
            try:
                session.add(LinkedIdentityRow(**row_values(link)))
                await session.flush()
            except IntegrityError:
                raise AlreadyExists(_linked_already(link)) from None

    async def links_of(self, sub: str) -> Sequence[LinkedIdentity]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(LinkedIdentityRow)
                .where(LinkedIdentityRow.sub == sub)
                .order_by(
                    LinkedIdentityRow.linked_at,
                    LinkedIdentityRow.issuer,
                    LinkedIdentityRow.subject,
                )
            )
            return [to_record(LinkedIdentity, row) for row in rows]

    async def remove_link(self, sub: str, issuer: str, subject: str) -> bool:
        """Only the account's own link: a forged form cannot unlink someone else's."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(LinkedIdentityRow).where(
                    LinkedIdentityRow.sub == sub,
                    LinkedIdentityRow.issuer == issuer,
                    LinkedIdentityRow.subject == subject,
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def touch_link(self, issuer: str, subject: str, now: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(LinkedIdentityRow)
                .where(LinkedIdentityRow.issuer == issuer, LinkedIdentityRow.subject == subject)
                .values(last_used_at=now)
            )

    async def count_links_of_upstream(self, upstream_id: str) -> int:
        """For the operator deleting an upstream: who would lose a way to sign in."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(func.count())
                .select_from(LinkedIdentityRow)
                .where(LinkedIdentityRow.upstream_id == upstream_id)
            )
            return int(found or 0)

    async def delete_links_of_upstream(self, upstream_id: str) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(LinkedIdentityRow).where(LinkedIdentityRow.upstream_id == upstream_id)
            )
            return int(getattr(result, "rowcount", 0))


def _linked_already(link: LinkedIdentity) -> str:
    return f"the identity {link.subject!r} of {link.issuer!r} is already linked"


class SqlPendingRedirectStore:
    """Implements authn.upstreams.PendingRedirectStore."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def add_pending(
        self, state_digest: str, pending: PendingRedirect, expires_at: datetime
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                UpstreamRedirectRow(
                    state_digest=state_digest,
                    upstream_id=pending.upstream_id,
                    request=dataclasses.asdict(pending.request),
                    device_digest=pending.device_digest,
                    flow_id=pending.flow_id,
                    sub=pending.sub,
                    expires_at=expires_at,
                )
            )

    async def take_pending(self, state_digest: str, now: datetime) -> PendingRedirect | None:
        """One DELETE ... RETURNING: of two nodes racing on the same state, the row goes to
        whichever deletes it. An expired row is deleted all the same, and answers None."""
        async with self._sessions.begin() as session:
            row = await session.scalar(
                delete(UpstreamRedirectRow)
                .where(UpstreamRedirectRow.state_digest == state_digest)
                .returning(UpstreamRedirectRow)
            )
        if row is None or row.expires_at <= now:
            return None
        return PendingRedirect(
            upstream_id=row.upstream_id,
            request=UpstreamRequest(**row.request),
            device_digest=row.device_digest,
            flow_id=row.flow_id,
            sub=row.sub,
        )
