"""What a person authorized a client to do, as codes, grants and refresh tokens carry it.

A grant is the family of everything issued from one authorization: revoking it (code reuse,
refresh token reuse, logout, the customer revoking the app) makes every token from it
inactive at once (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Authentication:
    """How the person signed in: what the ID token's auth_time, acr and amr report."""

    sub: str
    auth_time: datetime
    acr: str
    amr: tuple[str, ...]


@dataclass(frozen=True)
class Authorization:
    """The content of an authorization code."""

    grant_id: str
    client_id: str
    authentication: Authentication
    scope: tuple[str, ...]
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    claims: dict[str, Any] | None
    session_id: str | None


@dataclass(frozen=True)
class RefreshTokenRecord:
    grant_id: str
    client_id: str
    authentication: Authentication
    scope: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
