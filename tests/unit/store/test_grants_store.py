"""Grants, authorization codes and refresh tokens: the contract the token endpoint relies on.

Run unchanged on SQLite and PostgreSQL. "Two nodes" are two Database instances (two engines,
two connection pools) on the same database, racing through asyncio.gather.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from ciam_oidc.protocol.authorizations import Authentication, Authorization, RefreshTokenRecord
from ciam_oidc.protocol.ports import ConsumedCode, RotatedRefreshToken
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import SqlGrantStore, SqlSessionClients

NOW = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
CODE_LIFETIME = timedelta(minutes=1)
REFRESH_LIFETIME = timedelta(days=30)
GRANT_ID = "grant-7f3c"
CLIENT_ID = "shop"
SUB = "248289761001"
RACE_ROUNDS = 20  # enough for a check-then-act store to lose reliably on both backends


def digest(value: str) -> str:
    """Stores see only the SHA-256 of a code or token, as the protocol computes it."""
    return hashlib.sha256(value.encode()).hexdigest()


def an_authentication() -> Authentication:
    return Authentication(
        sub=SUB,
        auth_time=NOW - timedelta(minutes=3, microseconds=7),
        acr="urn:ciam:acr:mfa",
        amr=("pwd", "otp"),
    )


def an_authorization(**changes: Any) -> Authorization:
    """A code's content with every optional member set; override members by keyword."""
    authorization = Authorization(
        grant_id=GRANT_ID,
        client_id=CLIENT_ID,
        authentication=an_authentication(),
        scope=("openid", "email", "offline_access"),
        redirect_uri="https://shop.example/cb",
        nonce="n-0S6_WzA2Mj",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        claims={
            "userinfo": {"email": {"essential": True}, "name": None},
            "id_token": {"acr": {"values": ["urn:ciam:acr:mfa"]}, "auth_time": None},
        },
        session_id="sid-1",
    )
    return replace(authorization, **changes)


def a_refresh_token(issued_at: datetime = NOW, **changes: Any) -> RefreshTokenRecord:
    record = RefreshTokenRecord(
        grant_id=GRANT_ID,
        client_id=CLIENT_ID,
        authentication=an_authentication(),
        scope=("openid", "offline_access"),
        issued_at=issued_at,
        expires_at=issued_at + REFRESH_LIFETIME,
    )
    return replace(record, **changes)


def assert_aware_utc(moment: datetime) -> None:
    assert moment.utcoffset() == timedelta(0), moment


def first_uses(results: Sequence[ConsumedCode | RotatedRefreshToken | None]) -> list[bool]:
    """The race's outcomes, sorted; both racers must have found the value."""
    assert None not in results
    return sorted(result.first_use for result in results if result is not None)


@asynccontextmanager
async def node(database_url: str) -> AsyncIterator[SqlGrantStore]:
    """One provider node: its own engine and pool on the shared database."""
    database = Database(database_url)
    try:
        yield SqlGrantStore(database)
    finally:
        await database.dispose()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlGrantStore]:
    async with node(database_url) as grant_store:
        await grant_store.create_grant(GRANT_ID, CLIENT_ID, SUB, NOW)
        yield grant_store


@pytest.fixture
async def other_node(store: SqlGrantStore, database_url: str) -> AsyncIterator[SqlGrantStore]:
    async with node(database_url) as grant_store:
        assert await grant_store.grant_is_active(GRANT_ID)  # connected before any race starts
        yield grant_store


# -- grants -------------------------------------------------------------------------------


async def test_created_grant_is_active(store: SqlGrantStore) -> None:
    assert not await store.grant_is_active("grant-new")
    await store.create_grant("grant-new", CLIENT_ID, SUB, NOW)
    assert await store.grant_is_active("grant-new")


async def test_revoked_grant_is_inactive(store: SqlGrantStore) -> None:
    await store.revoke_grant(GRANT_ID, NOW + timedelta(minutes=1))
    assert not await store.grant_is_active(GRANT_ID)


async def test_revoking_twice_is_harmless(store: SqlGrantStore) -> None:
    await store.revoke_grant(GRANT_ID, NOW + timedelta(minutes=1))
    await store.revoke_grant(GRANT_ID, NOW + timedelta(minutes=2))
    assert not await store.grant_is_active(GRANT_ID)


async def test_unknown_grant_is_inactive_and_revoking_it_is_harmless(
    store: SqlGrantStore,
) -> None:
    await store.revoke_grant("no-such-grant", NOW)
    assert not await store.grant_is_active("no-such-grant")
    assert await store.grant_is_active(GRANT_ID)


async def test_revoking_one_grant_leaves_the_others_active(store: SqlGrantStore) -> None:
    await store.create_grant("grant-other", CLIENT_ID, SUB, NOW)
    await store.revoke_grant(GRANT_ID, NOW)
    assert await store.grant_is_active("grant-other")


async def test_code_needs_an_existing_grant(store: SqlGrantStore) -> None:
    orphan = an_authorization(grant_id="no-such-grant")
    with pytest.raises(IntegrityError):
        await store.save_code(digest("code"), orphan, NOW + CODE_LIFETIME)
    assert await store.consume_code(digest("code"), NOW) is None


async def test_refresh_token_needs_an_existing_grant(store: SqlGrantStore) -> None:
    with pytest.raises(IntegrityError):
        await store.save_refresh_token(digest("rt"), a_refresh_token(grant_id="no-such-grant"))
    assert await rotate(store, "rt", "rt-2") is None


# -- authorization codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        an_authorization(),
        an_authorization(nonce=None, code_challenge=None, claims=None, session_id=None),
    ],
    ids=["all-members", "none-members"],
)
async def test_saved_code_is_consumed_once_with_its_authorization_unchanged(
    store: SqlGrantStore, authorization: Authorization
) -> None:
    await store.save_code(digest("code"), authorization, NOW + CODE_LIFETIME)

    consumed = await store.consume_code(digest("code"), NOW)

    assert consumed == ConsumedCode(authorization, first_use=True)
    assert consumed is not None
    stored = consumed.authorization.authentication
    assert_aware_utc(stored.auth_time)
    assert stored.auth_time == authorization.authentication.auth_time
    assert isinstance(consumed.authorization.scope, tuple)
    assert isinstance(stored.amr, tuple)


async def test_second_consume_is_reported_as_a_replay_with_the_same_authorization(
    store: SqlGrantStore,
) -> None:
    await store.save_code(digest("code"), an_authorization(), NOW + CODE_LIFETIME)
    await store.consume_code(digest("code"), NOW)

    replayed = await store.consume_code(digest("code"), NOW + timedelta(seconds=5))

    assert replayed == ConsumedCode(an_authorization(), first_use=False)


async def test_expired_code_is_not_consumed(store: SqlGrantStore) -> None:
    expires_at = NOW + CODE_LIFETIME
    await store.save_code(digest("code"), an_authorization(), expires_at)

    assert await store.consume_code(digest("code"), expires_at) is None
    assert await store.consume_code(digest("code"), expires_at + timedelta(hours=1)) is None


async def test_unknown_code_is_not_consumed(store: SqlGrantStore) -> None:
    await store.save_code(digest("code"), an_authorization(), NOW + CODE_LIFETIME)
    assert await store.consume_code(digest("other-code"), NOW) is None


async def test_concurrent_consumes_on_two_nodes_have_exactly_one_first_use(
    store: SqlGrantStore, other_node: SqlGrantStore
) -> None:
    for round_ in range(RACE_ROUNDS):
        code = digest(f"code-{round_}")
        await store.save_code(code, an_authorization(), NOW + CODE_LIFETIME)

        results = await asyncio.gather(
            store.consume_code(code, NOW), other_node.consume_code(code, NOW)
        )

        assert first_uses(results) == [False, True]
        assert [result.authorization for result in results if result] == [an_authorization()] * 2


# -- refresh tokens -----------------------------------------------------------------------


def accept_any(record: RefreshTokenRecord) -> None:
    """The grant's checks, when nothing about the request is refused."""


def refuse_any(record: RefreshTokenRecord) -> None:
    raise AssertionError(f"accept must not be called here: {record}")


class Refused(Exception):
    """What a grant's check raises (invalid_scope, say), as seen by the store."""


async def rotate(
    store: SqlGrantStore,
    token: str,
    successor: str,
    now: datetime = NOW,
    client_id: str = CLIENT_ID,
    accept: Callable[[RefreshTokenRecord], None] = accept_any,
) -> RotatedRefreshToken | None:
    """Rotate `token` into `successor`, which then lives REFRESH_LIFETIME from `now`."""
    return await store.rotate_refresh_token(
        digest(token), client_id, digest(successor), now, now + REFRESH_LIFETIME, accept
    )


async def test_rotation_returns_the_old_record_and_the_successor_is_rotatable(
    store: SqlGrantStore,
) -> None:
    old = a_refresh_token()
    await store.save_refresh_token(digest("rt-1"), old)
    later = NOW + timedelta(hours=1)
    accepted: list[RefreshTokenRecord] = []

    rotated = await rotate(store, "rt-1", "rt-2", later, accept=accepted.append)

    assert rotated == RotatedRefreshToken(old, first_use=True)
    assert accepted == [old]
    assert rotated is not None
    assert_aware_utc(rotated.record.issued_at)
    assert_aware_utc(rotated.record.expires_at)
    assert_aware_utc(rotated.record.authentication.auth_time)
    # RFC 6749 §6: same grant, client, authentication and scope; a lifetime of its own.
    next_rotation = await rotate(store, "rt-2", "rt-3", later + timedelta(hours=1))
    assert next_rotation == RotatedRefreshToken(a_refresh_token(later), first_use=True)


async def test_the_successor_expires_when_told(store: SqlGrantStore) -> None:
    await store.save_refresh_token(digest("rt-1"), a_refresh_token())
    await rotate(store, "rt-1", "rt-2")

    assert await rotate(store, "rt-2", "rt-3", NOW + REFRESH_LIFETIME) is None
    assert await rotate(store, "rt-2", "rt-3", NOW + REFRESH_LIFETIME - timedelta(seconds=1))


async def test_rotating_a_rotated_token_is_a_replay_that_stores_no_successor(
    store: SqlGrantStore,
) -> None:
    old = a_refresh_token()
    await store.save_refresh_token(digest("rt-1"), old)
    await rotate(store, "rt-1", "rt-2")

    replayed = await rotate(store, "rt-1", "thief", NOW + timedelta(minutes=1), accept=refuse_any)

    assert replayed == RotatedRefreshToken(old, first_use=False)
    assert await rotate(store, "thief", "thief-2", NOW + timedelta(minutes=2)) is None


async def test_a_replay_is_reported_even_after_the_token_expired(store: SqlGrantStore) -> None:
    old = a_refresh_token()
    await store.save_refresh_token(digest("rt-1"), old)
    await rotate(store, "rt-1", "rt-2")

    replayed = await rotate(store, "rt-1", "thief", old.expires_at + timedelta(days=1))

    assert replayed == RotatedRefreshToken(old, first_use=False)


async def test_a_refused_record_leaves_the_token_unspent_and_stores_no_successor(
    store: SqlGrantStore,
) -> None:
    old = a_refresh_token()
    await store.save_refresh_token(digest("rt-1"), old)

    def refuse(record: RefreshTokenRecord) -> None:
        assert record == old
        raise Refused("scope wider than granted")

    with pytest.raises(Refused):
        await rotate(store, "rt-1", "rt-2", accept=refuse)

    assert await rotate(store, "rt-2", "rt-3") is None
    assert await rotate(store, "rt-1", "rt-4") == RotatedRefreshToken(old, first_use=True)
    assert await rotate(store, "rt-4", "rt-5")


async def test_another_clients_token_is_not_found_and_stays_usable_by_its_owner(
    store: SqlGrantStore,
) -> None:
    old = a_refresh_token()
    await store.save_refresh_token(digest("rt-1"), old)

    assert await rotate(store, "rt-1", "rt-2", client_id="intruder", accept=refuse_any) is None

    assert await rotate(store, "rt-2", "rt-3") is None
    assert await rotate(store, "rt-1", "rt-4") == RotatedRefreshToken(old, first_use=True)


async def test_another_clients_rotated_token_is_not_found_rather_than_a_replay(
    store: SqlGrantStore,
) -> None:
    """A replay revokes the family: only the client the token was issued to can cause that."""
    await store.save_refresh_token(digest("rt-1"), a_refresh_token())
    await rotate(store, "rt-1", "rt-2")

    assert await rotate(store, "rt-1", "rt-3", client_id="intruder", accept=refuse_any) is None

    assert await rotate(store, "rt-2", "rt-4")


async def test_expired_refresh_token_is_not_rotated_and_stores_no_successor(
    store: SqlGrantStore,
) -> None:
    old = a_refresh_token()
    await store.save_refresh_token(digest("rt-1"), old)

    for late in (old.expires_at, old.expires_at + timedelta(days=1)):
        assert await rotate(store, "rt-1", "rt-2", late, accept=refuse_any) is None
    assert await rotate(store, "rt-2", "rt-3") is None


async def test_unknown_refresh_token_is_not_rotated_and_stores_no_successor(
    store: SqlGrantStore,
) -> None:
    await store.save_refresh_token(digest("rt-1"), a_refresh_token())

    assert await rotate(store, "forged", "rt-2", accept=refuse_any) is None
    assert await rotate(store, "rt-2", "rt-3") is None


async def test_concurrent_rotations_on_two_nodes_have_exactly_one_first_use(
    store: SqlGrantStore, other_node: SqlGrantStore
) -> None:
    old = a_refresh_token()
    for round_ in range(RACE_ROUNDS):
        token = f"rt-{round_}"
        await store.save_refresh_token(digest(token), old)

        results = await asyncio.gather(
            rotate(store, token, f"a-{round_}"), rotate(other_node, token, f"b-{round_}")
        )

        assert first_uses(results) == [False, True]
        assert [result.record for result in results if result] == [old, old]
        winner, loser = ("a", "b") if results[0] and results[0].first_use else ("b", "a")
        later = NOW + timedelta(minutes=1)
        assert await rotate(store, f"{winner}-{round_}", f"next-{round_}", later)
        assert await rotate(store, f"{loser}-{round_}", f"none-{round_}", later) is None


async def test_a_refused_rotation_racing_an_accepted_one_does_not_spend_the_token(
    store: SqlGrantStore, other_node: SqlGrantStore
) -> None:
    """Whichever node claims first, the accepted request gets the token's first use."""

    def refuse(record: RefreshTokenRecord) -> None:
        raise Refused("scope wider than granted")

    old = a_refresh_token()
    for round_ in range(RACE_ROUNDS):
        token = f"rt-{round_}"
        await store.save_refresh_token(digest(token), old)

        refused, accepted = await asyncio.gather(
            rotate(store, token, f"a-{round_}", accept=refuse),
            rotate(other_node, token, f"b-{round_}"),
            return_exceptions=True,
        )

        assert accepted == RotatedRefreshToken(old, first_use=True)
        # Refused if it claimed first; a replay if it came after the accepted rotation.
        assert isinstance(refused, Refused) or refused == RotatedRefreshToken(old, False)
        assert await rotate(store, f"a-{round_}", f"none-{round_}") is None
        assert await rotate(store, f"b-{round_}", f"next-{round_}")


# -- the clients of a browser session (Front- and Back-Channel Logout) ----------------------


async def test_a_session_names_the_clients_given_grants_in_it_with_or_without_a_code(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        grants = SqlGrantStore(database)
        # An implicit flow opens a grant and issues no code; a grant from before grants
        # recorded their session is found through its code (which has "sid-1").
        await grants.create_grant("g-implicit", "spa", SUB, NOW, session_id="sid-1")
        await grants.create_grant("g-code", CLIENT_ID, SUB, NOW)
        expiry = NOW + timedelta(minutes=10)
        await grants.save_code(digest("c"), an_authorization(grant_id="g-code"), expiry)
        await grants.create_grant("g-elsewhere", "blog", SUB, NOW, session_id="sid-2")

        clients = SqlSessionClients(database)
        assert await clients.clients_of_session(SUB, "sid-1") == sorted(["spa", CLIENT_ID])
        assert await clients.clients_of_session("someone-else", "sid-1") == []
    finally:
        await database.dispose()
