"""Upstream identity providers and the identities linked through them: the `upstreams`,
`linked_identities` and `upstream_redirects` tables.

Client secrets and private keys are sealed (AES-GCM, bound to the upstream's id), so a
database dump alone does not let anyone act as this provider at Google or Apple. A pending
redirect is keyed by the SHA-256 of its `state`, and taking it deletes it, so a callback can be
answered once, by one node.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime


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
