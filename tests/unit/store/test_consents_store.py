"""Remembered consent: the contract the consent prompt relies on.

Run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from ciam_oidc.store.consents import SqlConsentStore
from ciam_oidc.store.database import Database

NOW = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
ALICE, BOB = "sub-alice", "sub-bob"
SHOP, BLOG = "shop", "blog"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlConsentStore]:
    database = Database(database_url)
    try:
        yield SqlConsentStore(database)
    finally:
        await database.dispose()


async def test_without_consent_the_scope_is_empty(store: SqlConsentStore) -> None:
    assert await store.consented_scope(ALICE, SHOP) == frozenset()


async def test_consent_is_remembered(store: SqlConsentStore) -> None:
    await store.add_consent(ALICE, SHOP, ["openid", "email"], NOW)
    assert await store.consented_scope(ALICE, SHOP) == {"openid", "email"}


async def test_later_consent_adds_to_the_scope_agreed_before(store: SqlConsentStore) -> None:
    await store.add_consent(ALICE, SHOP, ["openid", "email"], NOW)
    await store.add_consent(ALICE, SHOP, ("openid", "profile"), NOW + timedelta(days=1))

    assert await store.consented_scope(ALICE, SHOP) == {"openid", "email", "profile"}


async def test_consent_is_kept_per_person_and_client(store: SqlConsentStore) -> None:
    await store.add_consent(ALICE, SHOP, ["openid", "email"], NOW)
    await store.add_consent(BOB, BLOG, ["openid", "profile"], NOW)

    assert await store.consented_scope(ALICE, SHOP) == {"openid", "email"}
    assert await store.consented_scope(ALICE, BLOG) == frozenset()
    assert await store.consented_scope(BOB, SHOP) == frozenset()
    assert await store.consented_scope(BOB, BLOG) == {"openid", "profile"}


async def test_consents_given_at_once_on_two_nodes_both_count(database_url: str) -> None:
    nodes = [Database(database_url), Database(database_url)]
    try:
        first, second = (SqlConsentStore(node) for node in nodes)
        await asyncio.gather(
            first.add_consent(ALICE, SHOP, ["openid", "email"], NOW),
            second.add_consent(ALICE, SHOP, ["openid", "profile"], NOW),
        )
        assert await first.consented_scope(ALICE, SHOP) == {"openid", "email", "profile"}
    finally:
        for node in nodes:
            await node.dispose()
