"""Dynamic client registration's own state: initial access tokens (RFC 7591 §3), which an
operator hands to whoever may register clients, stored as SHA-256 digests only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ciam_oidc.store.base import Base, UTCDateTime


class InitialAccessTokenRow(Base):
    __tablename__ = "initial_access_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
