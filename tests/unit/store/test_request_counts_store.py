"""Request counters per network, shared by every node, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from ciam_oidc.store.database import Database
from ciam_oidc.store.request_counts import SqlRequestCounter

NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


@pytest.fixture
async def counter(database_url: str) -> AsyncIterator[SqlRequestCounter]:
    database = Database(database_url)
    yield SqlRequestCounter(database)
    await database.dispose()


async def test_requests_count_up_in_the_window_that_the_first_started(
    counter: SqlRequestCounter,
) -> None:
    assert await counter.count_request("k", NOW, WINDOW) == (1, NOW)
    assert await counter.count_request("k", NOW + WINDOW / 2, WINDOW) == (2, NOW)
    assert await counter.count_request("other", NOW, WINDOW) == (1, NOW)


async def test_a_new_window_starts_from_one(counter: SqlRequestCounter) -> None:
    for _ in range(3):
        await counter.count_request("k", NOW, WINDOW)
    later = NOW + WINDOW
    assert await counter.count_request("k", later, WINDOW) == (1, later)


async def test_requests_on_two_nodes_at_once_each_get_their_own_count(database_url: str) -> None:
    nodes = [Database(database_url), Database(database_url)]
    try:
        counters = [SqlRequestCounter(node) for node in nodes]
        counted = await asyncio.gather(
            *(counters[i % 2].count_request("k", NOW, WINDOW) for i in range(20))
        )
        assert sorted(count for count, _ in counted) == list(range(1, 21))
    finally:
        for node in nodes:
            await node.dispose()
