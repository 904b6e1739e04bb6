"""Limits on sign-in attempts per account (NIST SP 800-63B §5.2.2), shared by every node.

Each attempt is counted before the secret is checked, in one atomic statement, so parallel
guesses cannot all pass the limit; a success clears the count. The key is what was typed (an
address), whether or not an account has it, so the throttle answers alike for existing and
unknown accounts, and an attempt it refuses costs no password check, for anyone.

How an attempt is treated depends on the attempts counted before it, each within `window` of
the previous one (a quiet `window` forgets them all):

- the first `delay_after` are checked at once;
- after n >= `delay_after` of them, the next waits 2^(n - `delay_after`) seconds (at most
  15 minutes) after the last before it is checked at all;
- after `max_failures`, the key is locked until `window` has passed since the last one.

An attempt that comes too early is refused without being counted. Counting it would let
anyone who knows an address keep its owner out for good, with one request per delay; as it is,
only attempts that were checked push the lock back, and there are at most `max_failures` of
them before the lock ends and the count starts over.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.durations import wait_in_words
from ciam_oidc.i18n import gettext

LONGEST_DELAY = timedelta(minutes=15)
_SHORTEST_WAIT = timedelta(seconds=1)


class AttemptCounter(Protocol):
    async def count_attempt(
        self, key: str, now: datetime, waits: Sequence[timedelta], window: timedelta
    ) -> int | None:
        """Count one attempt unless it comes before the time the last one set, atomically.

        Returns the count including this attempt, or None (changing nothing) when it is too
        early. After the n-th attempt the next may come `waits[n - 1]` later; a `window`
        without attempts starts the count again from one.
        """

    async def next_attempt_at(self, key: str) -> datetime | None:
        """When the next attempt for `key` may come (None when nothing is counted)."""

    async def clear_failures(self, key: str) -> None: ...


@dataclass(frozen=True)
class Admission:
    """The throttle's answer to one attempt: truthy when the attempt may be checked."""

    admitted: bool
    retry_after: timedelta = timedelta(0)
    """When refused: how long until an attempt is checked again."""
    locks_until: datetime | None = None
    """When admitted as the last attempt allowed: the end of the lock that failing starts."""

    def __bool__(self) -> bool:
        return self.admitted

    @property
    def message(self) -> str:
        """Safe to show: the same for an address with an account and one without."""
        wait = wait_in_words(self.retry_after)
        return gettext("Too many attempts. Try again in %(wait)s.") % {"wait": wait}


@dataclass(frozen=True)
class LoginThrottle:
    counter: AttemptCounter
    key: bytes
    """Keys the stored identifiers, so the table cannot be matched against a list of emails."""
    max_failures: int
    window: timedelta
    clock: Callable[[], datetime]
    delay_after: int | None = None
    """Attempts checked at once before each further one must wait; None: no waits, only the
    lock after `max_failures`."""
    audit: AuditLog | None = None
    """Where the start of a lock is recorded."""

    async def admit(self, identifier: str) -> Admission:
        """Count this attempt, or refuse it (uncounted) while the key must wait."""
        now = self.clock()
        key = self._key(identifier)
        count = await self.counter.count_attempt(key, now, self._waits(), self.window)
        if count is None:
            retry_at = await self.counter.next_attempt_at(key)
            wait = retry_at - now if retry_at else timedelta(0)
            return Admission(False, retry_after=max(wait, _SHORTEST_WAIT))
        last = count >= self.max_failures
        return Admission(True, locks_until=now + self.window if last else None)

    async def failed(self, admission: Admission, sub: str | None) -> None:
        """After a wrong answer: record the lock it starts, once per lock, for a real account."""
        if admission.locks_until is not None and sub is not None and self.audit is not None:
            until = admission.locks_until.isoformat(timespec="seconds")
            await self.audit.record(EventType.ACCOUNT_LOCKED, sub, until=until)

    async def succeeded(self, identifier: str) -> None:
        await self.counter.clear_failures(self._key(identifier))

    def _waits(self) -> tuple[timedelta, ...]:
        """How long after the n-th counted attempt the next one must wait, n = 1..max."""
        return tuple(self._wait_after(n) for n in range(1, self.max_failures + 1))

    def _wait_after(self, attempts: int) -> timedelta:
        if attempts >= self.max_failures:
            return self.window
        if self.delay_after is None or attempts < self.delay_after:
            return timedelta(0)
        # 2^10 seconds is past the longest delay already; far larger powers overflow timedelta.
        doubling = timedelta(seconds=2 ** min(attempts - self.delay_after, 10))
        return min(doubling, LONGEST_DELAY, self.window)

    def _key(self, identifier: str) -> str:
        return hmac.new(self.key, identifier.encode(), hashlib.sha256).hexdigest()
