"""The people who sign in, as the protocol sees them: a subject and its claims."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Deliberately loose: the mailbox proves itself by verification, not by a regular expression.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# OpenID Connect Core §5.1 profile claims an operator may set besides email.
PROFILE_CLAIMS = ("name", "given_name", "family_name", "nickname", "locale", "zoneinfo")


class InvalidUser(ValueError):
    """The user record would not make sense (an email that cannot be an address, ...)."""


@dataclass(frozen=True)
class User:
    sub: str
    email: str
    email_verified: bool
    password_hash: str | None
    claims: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    disabled: bool = False


@dataclass(frozen=True)
class UserRequest:
    email: str
    email_verified: bool = False
    claims: dict[str, Any] = field(default_factory=dict)


def normalize_email(email: str) -> str:
    """One account per mailbox: compare addresses case-insensitively and trimmed."""
    normalized = email.strip().lower()
    if not _EMAIL.fullmatch(normalized) or len(normalized) > 254:
        raise InvalidUser(f"{email!r} is not an email address")
    return normalized


def new_user(request: UserRequest, password_hash: str | None, now: datetime) -> User:
    unknown = set(request.claims) - set(PROFILE_CLAIMS)
    if unknown:
        raise InvalidUser(f"unknown profile claims: {', '.join(sorted(unknown))}")
    return User(
        # OpenID Connect Core §2: a locally unique, never reassigned, opaque identifier.
        sub=uuid.uuid4().hex,
        email=normalize_email(request.email),
        email_verified=request.email_verified,
        password_hash=password_hash,
        claims=dict(request.claims),
        created_at=now,
        updated_at=now,
    )
