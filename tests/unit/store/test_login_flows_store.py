"""Login flows in progress: the contract multi-step sign-in relies on, on any node.

Run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ciam_oidc.store.database import Database
from ciam_oidc.store.login_flows import SqlLoginFlowStore, StaleFlow

NOW = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
EXPIRES_AT = NOW + timedelta(minutes=15)
FLOW_ID = "flow-1"


def a_state(step: str = "identify", **members: Any) -> dict[str, Any]:
    """An opaque flow state as `authn/` might keep it: nested JSON with nulls and lists."""
    return {
        "step": step,
        "client_id": "shop",
        "request": {"scope": ["openid", "email"], "nonce": None, "max_age": 300},
        "attempts": 0,
        **members,
    }


@asynccontextmanager
async def node(database_url: str) -> AsyncIterator[SqlLoginFlowStore]:
    database = Database(database_url)
    try:
        yield SqlLoginFlowStore(database)
    finally:
        await database.dispose()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlLoginFlowStore]:
    async with node(database_url) as flow_store:
        await flow_store.create_flow(FLOW_ID, a_state(), NOW, EXPIRES_AT)
        yield flow_store


@pytest.fixture
async def other_node(
    store: SqlLoginFlowStore, database_url: str
) -> AsyncIterator[SqlLoginFlowStore]:
    async with node(database_url) as flow_store:
        assert await flow_store.load_flow(FLOW_ID, NOW)  # connected before any race starts
        yield flow_store


async def loaded(store: SqlLoginFlowStore, flow_id: str = FLOW_ID) -> tuple[dict[str, Any], int]:
    """The flow's state and version as a request would read them now; it must be there."""
    flow = await store.load_flow(flow_id, NOW)
    assert flow is not None
    return flow


async def test_created_flow_loads_with_its_state_unchanged(store: SqlLoginFlowStore) -> None:
    state = a_state(email="alice@example.com", methods=["pwd", "otp"])
    await store.create_flow("flow-2", state, NOW, EXPIRES_AT)

    flow = await store.load_flow("flow-2", NOW + timedelta(minutes=1))

    assert flow is not None
    assert flow[0] == state
    assert isinstance(flow[1], int)


async def test_unknown_flow_is_not_loaded(store: SqlLoginFlowStore) -> None:
    assert await store.load_flow("no-such-flow", NOW) is None


async def test_expired_flow_is_not_loaded(store: SqlLoginFlowStore) -> None:
    assert await store.load_flow(FLOW_ID, EXPIRES_AT - timedelta(microseconds=1))
    assert await store.load_flow(FLOW_ID, EXPIRES_AT) is None
    assert await store.load_flow(FLOW_ID, EXPIRES_AT + timedelta(hours=1)) is None


async def test_saving_over_the_version_read_stores_the_state_and_bumps_the_version(
    store: SqlLoginFlowStore,
) -> None:
    _, version = await loaded(store)

    await store.save_flow(FLOW_ID, a_state("password", attempts=1), version)

    state, new_version = await loaded(store)
    assert state == a_state("password", attempts=1)
    assert new_version > version


async def test_each_save_needs_the_version_the_previous_save_left(
    store: SqlLoginFlowStore,
) -> None:
    for step in ("password", "otp", "done"):
        _, version = await loaded(store)
        await store.save_flow(FLOW_ID, a_state(step), version)

    assert (await loaded(store))[0] == a_state("done")


async def test_saving_over_a_stale_version_raises_stale_flow(store: SqlLoginFlowStore) -> None:
    """Two tabs read the same version; the second to submit must not overwrite the first."""
    _, version = await loaded(store)
    await store.save_flow(FLOW_ID, a_state("password", tab="first"), version)

    with pytest.raises(StaleFlow):
        await store.save_flow(FLOW_ID, a_state("password", tab="second"), version)

    assert (await loaded(store))[0] == a_state("password", tab="first")


async def test_concurrent_saves_on_two_nodes_let_exactly_one_win(
    store: SqlLoginFlowStore, other_node: SqlLoginFlowStore
) -> None:
    """A double submit landing on two nodes at once."""
    _, version = await loaded(store)

    results = await asyncio.gather(
        store.save_flow(FLOW_ID, a_state("otp", node="a"), version),
        other_node.save_flow(FLOW_ID, a_state("otp", node="b"), version),
        return_exceptions=True,
    )

    assert sorted(type(result).__name__ for result in results) == ["NoneType", "StaleFlow"]
    winner = "a" if results[0] is None else "b"
    state, new_version = await loaded(store)
    assert state == a_state("otp", node=winner)
    assert new_version > version


async def test_deleted_flow_is_gone_and_cannot_be_saved(store: SqlLoginFlowStore) -> None:
    _, version = await loaded(store)

    await store.delete_flow(FLOW_ID, version)

    assert await store.load_flow(FLOW_ID, NOW) is None
    with pytest.raises(StaleFlow):
        await store.save_flow(FLOW_ID, a_state("password"), version)
    with pytest.raises(StaleFlow):  # a second finish of the same flow loses
        await store.delete_flow(FLOW_ID, version)


async def test_a_flow_changed_since_it_was_read_cannot_be_finished(
    store: SqlLoginFlowStore,
) -> None:
    _, version = await loaded(store)
    await store.save_flow(FLOW_ID, a_state("consent"), version)
    with pytest.raises(StaleFlow):
        await store.delete_flow(FLOW_ID, version)


async def test_deleting_one_flow_leaves_the_others(store: SqlLoginFlowStore) -> None:
    await store.create_flow("flow-2", a_state("password"), NOW, EXPIRES_AT)

    await store.delete_flow(FLOW_ID, (await loaded(store))[1])

    assert (await loaded(store, "flow-2"))[0] == a_state("password")
