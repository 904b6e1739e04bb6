"""Sign-in attempt counters, shared by every node, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database

NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
SECOND = timedelta(seconds=1)
NO_WAITS = (timedelta(0),) * 30
# Two attempts at once, then 1 s, then 4 s, then locked for the window.
WAITS = (timedelta(0), timedelta(0), SECOND, 4 * SECOND, WINDOW)


@pytest.fixture
async def counter(database_url: str) -> AsyncIterator[SqlFailureCounter]:
    database = Database(database_url)
    yield SqlFailureCounter(database)
    await database.dispose()


async def test_attempts_count_up_per_key(counter: SqlFailureCounter) -> None:
    counts = [
        await counter.count_attempt("k", NOW + i * SECOND, NO_WAITS, WINDOW) for i in range(3)
    ]
    assert counts == [1, 2, 3]
    assert await counter.count_attempt("other", NOW, NO_WAITS, WINDOW) == 1


async def test_an_attempt_before_its_time_is_refused_and_changes_nothing(
    counter: SqlFailureCounter,
) -> None:
    for _ in range(3):
        await counter.count_attempt("k", NOW, WAITS, WINDOW)
    assert await counter.next_attempt_at("k") == NOW + SECOND
    assert await counter.count_attempt("k", NOW + SECOND / 2, WAITS, WINDOW) is None
    assert await counter.next_attempt_at("k") == NOW + SECOND
    assert await counter.count_attempt("k", NOW + SECOND, WAITS, WINDOW) == 4
    assert await counter.next_attempt_at("k") == NOW + 5 * SECOND


async def test_with_no_wait_due_an_earlier_clock_reading_is_still_admitted(
    counter: SqlFailureCounter,
) -> None:
    """Two requests at once read the clock in one order and may reach the row in the other:
    a double submit must not meet a wait nobody set."""
    assert await counter.count_attempt("k", NOW, WAITS, WINDOW) == 1
    assert await counter.count_attempt("k", NOW - SECOND / 10, WAITS, WINDOW) == 2
    assert await counter.count_attempt("k", NOW, WAITS, WINDOW) == 3
    # A wait that is due holds against any reading before its end.
    assert await counter.count_attempt("k", NOW + SECOND / 2, WAITS, WINDOW) is None


async def test_each_count_sets_the_wait_the_schedule_gives_it(counter: SqlFailureCounter) -> None:
    now = NOW
    for count, wait in enumerate(WAITS, 1):
        assert await counter.count_attempt("k", now, WAITS, WINDOW) == count
        assert await counter.next_attempt_at("k") == now + wait
        now += wait
    assert await counter.count_attempt("k", now - SECOND, WAITS, WINDOW) is None


async def test_a_quiet_window_starts_the_count_again_even_from_a_lock(
    counter: SqlFailureCounter,
) -> None:
    short = (timedelta(0), WINDOW)
    for _ in range(2):
        await counter.count_attempt("k", NOW, short, WINDOW)
    assert await counter.count_attempt("k", NOW + WINDOW - SECOND, short, WINDOW) is None
    assert await counter.count_attempt("k", NOW + WINDOW, short, WINDOW) == 1
    assert await counter.count_attempt("k", NOW + WINDOW, short, WINDOW) == 2


async def test_unknown_keys_have_no_time_to_wait_for(counter: SqlFailureCounter) -> None:
    assert await counter.next_attempt_at("nobody") is None


async def test_clearing_forgets_the_attempts(counter: SqlFailureCounter) -> None:
    for _ in range(5):
        await counter.count_attempt("k", NOW, WAITS, WINDOW)
    await counter.clear_failures("k")
    assert await counter.count_attempt("k", NOW, WAITS, WINDOW) == 1


async def test_attempts_on_two_nodes_at_once_each_get_their_own_count(database_url: str) -> None:
    """No two concurrent attempts read the same count: none can slip past a limit."""
    nodes = [Database(database_url), Database(database_url)]
    try:
        counters = [SqlFailureCounter(node) for node in nodes]
        counts = await asyncio.gather(
            *(counters[i % 2].count_attempt("k", NOW, NO_WAITS, WINDOW) for i in range(20))
        )
        assert sorted(counts) == list(range(1, 21))
        waited = await asyncio.gather(
            *(counters[i % 2].count_attempt("w", NOW, WAITS, WINDOW) for i in range(20))
        )
        assert sorted(count for count in waited if count is not None) == [1, 2, 3]
    finally:
        for node in nodes:
            await node.dispose()
