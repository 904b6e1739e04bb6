"""Limits on sign-in attempts per account (NIST SP 800-63B §5.2.2), shared by every node.

Each attempt is counted before the password is checked, atomically, so parallel guesses cannot
all pass the limit; a success clears the count. The key is the address that was typed, whether
or not an account has it, so the throttle answers alike for existing and unknown accounts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class AttemptCounter(Protocol):
    async def count_attempt(self, key: str, now: datetime, window: timedelta) -> int: ...

    async def clear_failures(self, key: str) -> None: ...


@dataclass(frozen=True)
class LoginThrottle:
    counter: AttemptCounter
    key: bytes
    """Keys the stored identifiers, so the table cannot be matched against a list of emails."""
    max_failures: int
    window: timedelta
    clock: Callable[[], datetime]

    async def admit(self, identifier: str) -> bool:
        """Count this attempt; False once the window holds more than the limit allows."""
        count = await self.counter.count_attempt(self._key(identifier), self.clock(), self.window)
        return count <= self.max_failures

    async def succeeded(self, identifier: str) -> None:
        await self.counter.clear_failures(self._key(identifier))

    def _key(self, identifier: str) -> str:
        return hmac.new(self.key, identifier.encode(), hashlib.sha256).hexdigest()
