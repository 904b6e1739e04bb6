"""The key ring: which key signs now, which keys are published, and rotation without downtime.

Rotation is two-phase and driven by timestamps stored with the keys, so every node reaches the
same answer from the same rows without talking to the others:

1. `rotate()` adds a key that is published at once but signs only after the publication lead
   (this node's cache lifetime plus the JWKS max-age), by which time every node and every
   relying party that cached the JWKS knows it.
2. The previous key stops signing when its successor activates and stays published for the
   longest lifetime of a token it may have signed, so no token fails verification early.

Each node re-reads the keys at most every `cache_seconds`: the bound on staleness across nodes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from joserfc import jwt
from joserfc.jwk import Key

from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.crypto.signing_keys import StoredKey, open_private_key, seal_new_key

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class KeyStore(Protocol):
    """Persistence the key ring needs; implemented in `store/`."""

    async def list_keys(self) -> Sequence[StoredKey]: ...

    async def add_keys(self, keys: Sequence[StoredKey], retire_current_at: datetime) -> None:
        """Insert `keys` and, in the same transaction, set `retires_at` on every key of the
        same algorithms that has none yet."""


class NoSigningKey(Exception):
    """No active key for the algorithm: run `ciam-oidc keys rotate` or restart to bootstrap."""


@dataclass(frozen=True)
class RotationPolicy:
    algs: tuple[str, ...]
    publication_lead: timedelta
    retirement_delay: timedelta
    cache_seconds: float


class KeyRing:
    """Answers signing and publication questions from a cached snapshot of the stored keys."""

    def __init__(
        self, store: KeyStore, box: SecretBox, policy: RotationPolicy, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self._box = box
        self._policy = policy
        self._clock = clock
        self._keys: Sequence[StoredKey] = ()
        self._loaded_at: float | None = None
        self._private: dict[str, Key] = {}
        self._lock = asyncio.Lock()

    async def ensure_keys(self) -> list[StoredKey]:
        """Give every configured algorithm a key that signs at once if it has none.

        On a fresh database nothing was ever published, so there is nothing to wait for. Two
        nodes bootstrapping together each add a key; both stay published and every node
        picks the same signer, so the race is harmless.
        """
        await self.reload()
        now = self._clock()
        missing = [alg for alg in self._policy.algs if not self._published(alg, now)]
        created = [seal_new_key(alg, self._box, now, activates_at=now) for alg in missing]
        if created:
            await self._store.add_keys(
                created, retire_current_at=now + self._policy.retirement_delay
            )
            await self.reload()
        return created

    async def rotate(self, algs: Iterable[str] | None = None) -> list[StoredKey]:
        now = self._clock()
        activates_at = now + self._policy.publication_lead
        chosen = tuple(algs) if algs is not None else self._policy.algs
        created = [seal_new_key(alg, self._box, now, activates_at) for alg in chosen]
        await self._store.add_keys(
            created, retire_current_at=activates_at + self._policy.retirement_delay
        )
        await self.reload()
        return created

    async def reload(self) -> None:
        self._keys = await self._store.list_keys()
        self._loaded_at = time.monotonic()

    async def keys(self) -> Sequence[StoredKey]:
        """The stored keys, re-read when the snapshot is older than the cache lifetime."""
        loaded_at = self._loaded_at
        if loaded_at is None or time.monotonic() - loaded_at >= self._policy.cache_seconds:
            async with self._lock:
                if self._loaded_at == loaded_at:
                    await self.reload()
        return self._keys

    async def signing_key(self, alg: str) -> tuple[str, Key]:
        """(kid, private key) of the key that signs for `alg` right now."""
        await self.keys()
        newest = self._signer(alg, self._clock())
        if newest is None:
            raise NoSigningKey(alg)
        if newest.kid not in self._private:
            self._private[newest.kid] = open_private_key(newest, self._box)
        return newest.kid, self._private[newest.kid]

    async def sign(self, claims: dict[str, Any], alg: str, typ: str | None = None) -> str:
        """A compact JWS of `claims` by the key that signs for `alg` now, its kid in the header."""
        kid, key = await self.signing_key(alg)
        header = {"alg": alg, "kid": kid} | ({"typ": typ} if typ else {})
        return jwt.encode(header, claims, key, algorithms=[alg])

    async def jwks(self) -> dict[str, Any]:
        """The public keys every verifier may meet: pending, active and retiring."""
        await self.keys()
        now = self._clock()
        published = sorted(
            (key for key in self._keys if key.is_published(now)),
            key=lambda key: (key.alg, key.activates_at, key.kid),
        )
        return {"keys": [dict(key.public_jwk) for key in published]}

    async def states(self) -> list[tuple[StoredKey, str]]:
        """Every stored key with its lifecycle state, as operators see it."""
        keys = await self.keys()
        now = self._clock()
        signers = [self._signer(alg, now) for alg in {key.alg for key in keys}]
        signing = {key.kid for key in signers if key is not None}
        return [(key, key.state(now, key.kid in signing)) for key in keys]

    def _signer(self, alg: str, now: datetime) -> StoredKey | None:
        candidates = [key for key in self._published(alg, now) if key.activates_at <= now]
        return max(candidates, key=lambda key: (key.activates_at, key.kid), default=None)

    def _published(self, alg: str, now: datetime) -> list[StoredKey]:
        return [key for key in self._keys if key.alg == alg and key.is_published(now)]
