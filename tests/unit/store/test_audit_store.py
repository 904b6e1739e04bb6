"""The audit trail: appended in order, read newest first, filtered, and detached on deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.store.audit import SqlAuditStore
from ciam_oidc.store.database import Database
from tests.support.clock import Clock


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlAuditStore]:
    database = Database(database_url)
    yield SqlAuditStore(database)
    await database.dispose()


async def test_events_come_back_newest_first_with_what_was_recorded(store: SqlAuditStore) -> None:
    clock = Clock()
    log = AuditLog(store, clock)
    await log.record(EventType.SIGN_IN_FAILED, "alice", "203.0.113.7", method="password")
    clock.advance(timedelta(seconds=5))
    await log.record(EventType.SIGN_IN_SUCCEEDED, "alice", "203.0.113.7", method="passkey")
    newest, oldest = await log.of("alice")
    assert (newest.type, newest.details, newest.ip) == (
        EventType.SIGN_IN_SUCCEEDED,
        {"method": "passkey"},
        "203.0.113.7",
    )
    assert oldest.type is EventType.SIGN_IN_FAILED
    assert newest.occurred_at - oldest.occurred_at == timedelta(seconds=5)
    assert newest.id is not None
    assert oldest.id is not None
    assert newest.id > oldest.id


async def test_operators_filter_by_account_type_and_time(store: SqlAuditStore) -> None:
    clock = Clock()
    log = AuditLog(store, clock)
    await log.record(EventType.PASSWORD_RESET, "alice")
    clock.advance(timedelta(hours=1))
    started = clock.now
    await log.record(EventType.SIGN_IN_FAILED, None, "198.51.100.1", method="password")
    await log.record(EventType.PASSWORD_RESET, "bob")
    resets = await store.events(types=[EventType.PASSWORD_RESET])
    assert [event.sub for event in resets] == ["bob", "alice"]
    recent = await store.events(since=started)
    assert {event.type for event in recent} == {EventType.SIGN_IN_FAILED, EventType.PASSWORD_RESET}
    assert [e.type for e in await store.events(sub="alice")] == [EventType.PASSWORD_RESET]
    assert len(await store.events(limit=2)) == 2


async def test_a_deleted_account_leaves_its_events_without_its_name(store: SqlAuditStore) -> None:
    log = AuditLog(store, Clock())
    await log.record(EventType.ACCOUNT_DELETED, "alice")
    await store.forget("alice")
    assert await log.of("alice") == []
    [event] = await store.events(types=[EventType.ACCOUNT_DELETED])
    assert event.sub is None
