"""Password hashing: argon2id for new hashes, older schemes verified and upgraded on sign-in.

Hashing costs tens of milliseconds of CPU by design, so it runs in a worker thread and never
blocks the event loop that serves everyone else.
"""

from __future__ import annotations

import asyncio

from passlib.context import CryptContext

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_CONTEXT = CryptContext(
    schemes=["argon2", "bcrypt", "pbkdf2_sha256", "scrypt"],
    deprecated=["bcrypt", "pbkdf2_sha256", "scrypt"],
    argon2__type="ID",
    argon2__memory_cost=19_456,
    argon2__time_cost=2,
    argon2__parallelism=1,
)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_CONTEXT.hash, password)


async def verify_password(password: str, stored_hash: str) -> tuple[bool, str | None]:
    """Return (matches, replacement hash when the stored one uses an outdated scheme)."""
    try:
        valid, new_hash = await asyncio.to_thread(_CONTEXT.verify_and_update, password, stored_hash)
    except ValueError:
        # bcrypt refuses passwords over 72 bytes and passlib refuses unknown hash formats:
        # either way the password is not verified, and the caller answers as for any miss.
        return False, None
    return bool(valid), new_hash
