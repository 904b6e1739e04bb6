"""The per-account throttle: checked at once, then doubling waits, then a temporary lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.throttle import Admission, LoginThrottle, wait_in_words
from ciam_oidc.store.audit import SqlAuditStore
from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database
from tests.support.clock import Clock

KEY = b"throttle test key " * 2
WINDOW = timedelta(minutes=15)
SECOND = timedelta(seconds=1)
ADDRESS = "alice@example.com"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def audit(database: Database, clock: Clock) -> AuditLog:
    return AuditLog(SqlAuditStore(database), clock)


def throttle(
    database: Database,
    clock: Clock,
    *,
    max_failures: int = 6,
    delay_after: int | None = 3,
    window: timedelta = WINDOW,
    audit: AuditLog | None = None,
) -> LoginThrottle:
    counter = SqlFailureCounter(database)
    return LoginThrottle(counter, KEY, max_failures, window, clock, delay_after, audit)


async def fail(throttle: LoginThrottle, times: int) -> list[Admission]:
    return [await throttle.admit(ADDRESS) for _ in range(times)]


async def test_the_first_attempts_are_checked_at_once(database: Database, clock: Clock) -> None:
    assert all(await fail(throttle(database, clock), 3))


async def test_then_each_attempt_waits_twice_as_long_after_the_last(
    database: Database, clock: Clock
) -> None:
    limited = throttle(database, clock)
    await fail(limited, 3)
    for wait in (1, 2, 4):
        early = await limited.admit(ADDRESS)
        assert not early
        assert early.retry_after == wait * SECOND
        assert early.message == f"Too many attempts. Try again in {wait_in_words(wait * SECOND)}."
        clock.advance(wait * SECOND)
        assert await limited.admit(ADDRESS)


async def test_an_attempt_too_early_is_not_counted(database: Database, clock: Clock) -> None:
    limited = throttle(database, clock)
    await fail(limited, 3)
    for _ in range(10):
        assert not await limited.admit(ADDRESS)
    clock.advance(SECOND)
    admitted = await limited.admit(ADDRESS)
    assert admitted
    assert admitted.locks_until is None  # the 4th of 6, not the last


async def test_after_the_limit_the_key_is_locked_for_the_window(
    database: Database, clock: Clock
) -> None:
    limited = throttle(database, clock, delay_after=None)
    admissions = await fail(limited, 6)
    assert all(admissions)
    assert admissions[-1].locks_until == clock.now + WINDOW
    locked = await limited.admit(ADDRESS)
    assert not locked
    assert locked.message == "Too many attempts. Try again in 15 minutes."


async def test_attempts_during_the_lock_do_not_prolong_it(database: Database, clock: Clock) -> None:
    limited = throttle(database, clock, delay_after=None)
    await fail(limited, 6)
    for _ in range(14):
        clock.advance(timedelta(minutes=1))
        assert not await limited.admit(ADDRESS)
    clock.advance(timedelta(minutes=1))
    assert await limited.admit(ADDRESS)


async def test_the_lock_ends_and_the_count_starts_over(database: Database, clock: Clock) -> None:
    limited = throttle(database, clock)
    for wait in (0, 0, 0, 1, 2, 4):
        clock.advance(wait * SECOND)
        assert await limited.admit(ADDRESS)
    clock.advance(WINDOW)
    assert all(await fail(limited, 3))


async def test_waits_stop_growing_at_fifteen_minutes(database: Database, clock: Clock) -> None:
    limited = throttle(database, clock, max_failures=20, delay_after=1, window=timedelta(days=1))
    waits = []
    for _ in range(15):
        assert await limited.admit(ADDRESS)
        refused = await limited.admit(ADDRESS)
        waits.append(refused.retry_after)
        clock.advance(refused.retry_after)
    assert waits[:11] == [2**n * SECOND for n in range(10)] + [timedelta(minutes=15)]
    assert set(waits[10:]) == {timedelta(minutes=15)}


async def test_a_success_clears_the_count(database: Database, clock: Clock) -> None:
    limited = throttle(database, clock)
    await fail(limited, 3)
    await limited.succeeded(ADDRESS)
    assert all(await fail(limited, 3))


async def test_keys_are_counted_apart(database: Database, clock: Clock) -> None:
    limited = throttle(database, clock, delay_after=None)
    await fail(limited, 6)
    assert await limited.admit("bob@example.com")


async def test_the_start_of_a_lock_is_recorded_once_for_the_account(
    database: Database, clock: Clock, audit: AuditLog
) -> None:
    limited = throttle(database, clock, delay_after=None, audit=audit)
    for admission in await fail(limited, 6):
        await limited.failed(admission, "sub-1")
    await limited.failed(await limited.admit(ADDRESS), "sub-1")  # refused: already locked
    events = [event for event in await audit.of("sub-1") if event.type is EventType.ACCOUNT_LOCKED]
    assert len(events) == 1
    assert events[0].details == {"until": (clock.now + WINDOW).isoformat(timespec="seconds")}


async def test_a_lock_on_an_address_without_an_account_records_nothing(
    database: Database, clock: Clock, audit: AuditLog
) -> None:
    limited = throttle(database, clock, delay_after=None, audit=audit)
    for admission in await fail(limited, 6):
        await limited.failed(admission, None)
    assert not await audit.store.events(types=[EventType.ACCOUNT_LOCKED])


async def test_parallel_attempts_on_two_nodes_are_checked_no_more_than_allowed(
    database_url: str, clock: Clock
) -> None:
    nodes = [Database(database_url), Database(database_url)]
    try:
        throttles = [throttle(node, clock, delay_after=None) for node in nodes]
        answers = await asyncio.gather(*(throttles[i % 2].admit(ADDRESS) for i in range(40)))
        assert sum(bool(answer) for answer in answers) == 6
    finally:
        for node in nodes:
            await node.dispose()


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0.2, "1 second"), (1, "1 second"), (59, "59 seconds"), (60, "1 minute"), (61, "2 minutes")],
)
def test_waits_are_told_in_words_rounded_up(seconds: float, words: str) -> None:
    assert wait_in_words(timedelta(seconds=seconds)) == words
