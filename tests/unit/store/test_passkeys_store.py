"""Passkey storage holds across nodes: one owner per credential id, a counter that only moves
forward, challenges that one request consumes; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import delete

from ciam_oidc.authn.passkeys import Passkey
from ciam_oidc.store.users import UserRow
from tests.support.passkeys import PasskeySetup, passkey_setup

MINUTE = timedelta(minutes=1)


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[PasskeySetup]:
    async with passkey_setup(database_url) as setup:
        yield setup


def _passkey(setup: PasskeySetup, sub: str, credential_id: str = "cred-1") -> Passkey:
    return Passkey(
        credential_id=credential_id,
        sub=sub,
        public_key=b"\xa5\x01\x02",
        sign_count=0,
        name="Laptop",
        transports=("internal",),
        backup_eligible=True,
        created_at=setup.clock(),
    )


async def test_a_passkey_round_trips_and_its_id_is_stored_once(setup: PasskeySetup) -> None:
    ada, eve = await setup.add_user("ada@example.com"), await setup.add_user("eve@example.com")
    passkey = _passkey(setup, ada)
    assert await setup.store.add_passkey(passkey) is True
    assert await setup.store.find_passkey("cred-1") == passkey
    assert await setup.store.add_passkey(_passkey(setup, eve)) is False
    assert await setup.store.list_passkeys(eve) == []
    assert await setup.store.find_passkey("cred-1") == passkey


async def test_the_counter_only_moves_forward(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    await setup.store.add_passkey(_passkey(setup, sub))
    now = setup.clock()
    # An authenticator without a counter reports 0 every time.
    assert await setup.store.record_use("cred-1", 0, now) is True
    assert await setup.store.record_use("cred-1", 5, now + MINUTE) is True
    assert await setup.store.record_use("cred-1", 5, now + 2 * MINUTE) is False
    assert await setup.store.record_use("cred-1", 0, now + 2 * MINUTE) is False
    assert await setup.store.record_use("cred-1", 2**32 - 1, now + 3 * MINUTE) is True
    stored = await setup.store.find_passkey("cred-1")
    assert stored is not None
    assert (stored.sign_count, stored.last_used_at) == (2**32 - 1, now + 3 * MINUTE)


async def test_of_two_nodes_accepting_one_counter_value_one_wins(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    await setup.store.add_passkey(_passkey(setup, sub))
    results = await asyncio.gather(
        *(setup.store.record_use("cred-1", 7, setup.clock()) for _ in range(4))
    )
    assert sorted(results) == [False, False, False, True]


async def test_a_challenge_is_consumed_once_even_by_racing_requests(setup: PasskeySetup) -> None:
    await setup.store.save_challenge("d" * 64, None, setup.clock() + MINUTE)
    results = await asyncio.gather(
        *(setup.store.consume_challenge("d" * 64, None, setup.clock()) for _ in range(4))
    )
    assert sorted(results) == [False, False, False, True]


async def test_a_challenge_is_consumed_only_unexpired_and_for_its_account(
    setup: PasskeySetup,
) -> None:
    now = setup.clock()
    await setup.store.save_challenge("a" * 64, "ada", now + MINUTE)
    await setup.store.save_challenge("b" * 64, None, now + MINUTE)
    assert await setup.store.consume_challenge("a" * 64, "eve", now) is False
    assert await setup.store.consume_challenge("a" * 64, None, now) is False
    assert await setup.store.consume_challenge("b" * 64, "ada", now) is False
    assert await setup.store.consume_challenge("a" * 64, "ada", now + MINUTE) is False
    assert await setup.store.consume_challenge("b" * 64, None, now) is True


async def test_passkeys_go_with_their_account(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    await setup.store.add_passkey(_passkey(setup, sub))
    async with setup.database.sessions.begin() as session:
        await session.execute(delete(UserRow).where(UserRow.sub == sub))
    assert await setup.store.find_passkey("cred-1") is None
