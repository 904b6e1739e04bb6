"""Limits on failed sign-ins per account (NIST SP 800-63B §5.2.2), shared by every node.

The key is the identifier that was typed, whether or not an account has it, so the throttle
answers alike for existing and unknown accounts and cannot be used to find who has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ciam_oidc.crypto.secrets import digest_secret


class FailureCounter(Protocol):
    async def count_failure(self, key: str, now: datetime, window: timedelta) -> None: ...

    async def failures(self, key: str, now: datetime, window: timedelta) -> int: ...

    async def clear_failures(self, key: str) -> None: ...


@dataclass(frozen=True)
class LoginThrottle:
    counter: FailureCounter
    max_failures: int
    window: timedelta
    clock: Callable[[], datetime]

    async def allows(self, identifier: str) -> bool:
        failures = await self.counter.failures(self._key(identifier), self.clock(), self.window)
        return failures < self.max_failures

    async def failed(self, identifier: str) -> None:
        await self.counter.count_failure(self._key(identifier), self.clock(), self.window)

    async def succeeded(self, identifier: str) -> None:
        await self.counter.clear_failures(self._key(identifier))

    @staticmethod
    def _key(identifier: str) -> str:
        """Stored hashed: the table holds no email addresses."""
        return digest_secret("login:" + identifier)
