"""Failed sign-in counters, shared by every node, on SQLite and PostgreSQL."""

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


async def test_failures_count_up_within_the_window(counter: SqlFailureCounter) -> None:
    assert await counter.failures("k", NOW, WINDOW) == 0
    for _ in range(3):
        await counter.count_failure("k", NOW, WINDOW)
    assert await counter.failures("k", NOW + WINDOW / 2, WINDOW) == 3
    assert await counter.failures("other", NOW, WINDOW) == 0


async def test_a_new_window_starts_from_one(counter: SqlFailureCounter) -> None:
    for _ in range(3):
        await counter.count_failure("k", NOW, WINDOW)
    assert await counter.failures("k", NOW + WINDOW, WINDOW) == 0
    await counter.count_failure("k", NOW + WINDOW, WINDOW)
    assert await counter.failures("k", NOW + WINDOW, WINDOW) == 1


async def test_clearing_forgets_the_failures(counter: SqlFailureCounter) -> None:
    await counter.count_failure("k", NOW, WINDOW)
    await counter.clear_failures("k")
    assert await counter.failures("k", NOW, WINDOW) == 0


async def test_failures_on_two_nodes_at_once_are_all_counted(database_url: str) -> None:
    nodes = [Database(database_url), Database(database_url)]
    try:
        counters = [SqlFailureCounter(node) for node in nodes]
        await asyncio.gather(*(counters[i % 2].count_failure("k", NOW, WINDOW) for i in range(20)))
        assert await counters[0].failures("k", NOW, WINDOW) == 20
    finally:
        for node in nodes:
            await node.dispose()
