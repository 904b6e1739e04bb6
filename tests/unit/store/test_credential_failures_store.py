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


@pytest.fixture
async def counter(database_url: str) -> AsyncIterator[SqlFailureCounter]:
    database = Database(database_url)
    yield SqlFailureCounter(database)
    await database.dispose()


async def test_attempts_count_up_within_the_window_per_key(counter: SqlFailureCounter) -> None:
    counts = [await counter.count_attempt("k", NOW + WINDOW / 2 * i / 3, WINDOW) for i in range(3)]
    assert counts == [1, 2, 3]
    assert await counter.count_attempt("other", NOW, WINDOW) == 1


async def test_a_new_window_starts_from_one(counter: SqlFailureCounter) -> None:
    for _ in range(3):
        await counter.count_attempt("k", NOW, WINDOW)
    assert await counter.count_attempt("k", NOW + WINDOW, WINDOW) == 1
    assert await counter.count_attempt("k", NOW + WINDOW, WINDOW) == 2


async def test_clearing_forgets_the_attempts(counter: SqlFailureCounter) -> None:
    await counter.count_attempt("k", NOW, WINDOW)
    await counter.clear_failures("k")
    assert await counter.count_attempt("k", NOW, WINDOW) == 1


async def test_attempts_on_two_nodes_at_once_each_get_their_own_count(database_url: str) -> None:
    """No two concurrent attempts read the same count: none can slip past a limit."""
    nodes = [Database(database_url), Database(database_url)]
    try:
        counters = [SqlFailureCounter(node) for node in nodes]
        counts = await asyncio.gather(
            *(counters[i % 2].count_attempt("k", NOW, WINDOW) for i in range(20))
        )
        assert sorted(counts) == list(range(1, 21))
    finally:
        for node in nodes:
            await node.dispose()
