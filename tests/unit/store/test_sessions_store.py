"""Browser SSO sessions: the contract sign-in, SSO and logout rely on.

Run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.ports import BrowserSession
from ciam_oidc.store.database import Database
from ciam_oidc.store.sessions import SqlSessionStore

NOW = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
SESSION_LIFETIME = timedelta(hours=8)


def cookie(value: str) -> str:
    """The store sees only the SHA-256 of the cookie value, as the web edge computes it."""
    return hashlib.sha256(value.encode()).hexdigest()


def a_session(**changes: Any) -> BrowserSession:
    session = BrowserSession(
        id="sid-1",
        authentication=Authentication(
            sub="248289761001",
            auth_time=NOW - timedelta(seconds=1, microseconds=3),
            acr="urn:ciam:acr:mfa",
            amr=("pwd", "otp"),
        ),
        created_at=NOW,
        expires_at=NOW + SESSION_LIFETIME,
    )
    return replace(session, **changes)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlSessionStore]:
    database = Database(database_url)
    try:
        yield SqlSessionStore(database)
    finally:
        await database.dispose()


async def test_started_session_is_found_by_its_cookie_digest_unchanged(
    store: SqlSessionStore,
) -> None:
    await store.start_session(cookie("c-1"), a_session())

    found = await store.find_session(cookie("c-1"), NOW + timedelta(hours=1))

    assert found == a_session()
    assert found is not None
    for moment in (found.created_at, found.expires_at, found.authentication.auth_time):
        assert moment.utcoffset() == timedelta(0), moment
    assert isinstance(found.authentication.amr, tuple)


async def test_session_is_not_found_by_another_cookie_digest(store: SqlSessionStore) -> None:
    await store.start_session(cookie("c-1"), a_session())
    assert await store.find_session(cookie("c-2"), NOW) is None
    assert await store.find_session(a_session().id, NOW) is None


async def test_expired_session_is_not_found(store: SqlSessionStore) -> None:
    session = a_session()
    await store.start_session(cookie("c-1"), session)

    assert await store.find_session(cookie("c-1"), session.expires_at - timedelta(microseconds=1))
    assert await store.find_session(cookie("c-1"), session.expires_at) is None
    assert await store.find_session(cookie("c-1"), session.expires_at + timedelta(days=1)) is None


async def test_ending_returns_the_session_once(store: SqlSessionStore) -> None:
    await store.start_session(cookie("c-1"), a_session())

    assert await store.end_session(cookie("c-1"), NOW + timedelta(hours=1)) == a_session()
    assert await store.end_session(cookie("c-1"), NOW + timedelta(hours=2)) is None


async def test_ended_session_is_not_found(store: SqlSessionStore) -> None:
    await store.start_session(cookie("c-1"), a_session())
    await store.end_session(cookie("c-1"), NOW + timedelta(hours=1))

    assert await store.find_session(cookie("c-1"), NOW + timedelta(hours=1)) is None


async def test_ending_an_unknown_session_returns_none(store: SqlSessionStore) -> None:
    assert await store.end_session(cookie("never-issued"), NOW) is None


async def test_ending_one_session_leaves_the_same_persons_other_sessions(
    store: SqlSessionStore,
) -> None:
    other = a_session(id="sid-2")
    await store.start_session(cookie("laptop"), a_session())
    await store.start_session(cookie("phone"), other)

    await store.end_session(cookie("laptop"), NOW)

    assert await store.find_session(cookie("phone"), NOW) == other


async def test_session_ids_are_unique(store: SqlSessionStore) -> None:
    await store.start_session(cookie("c-1"), a_session())

    with pytest.raises(IntegrityError):
        await store.start_session(cookie("c-2"), a_session())

    assert await store.find_session(cookie("c-2"), NOW) is None
    assert await store.find_session(cookie("c-1"), NOW) == a_session()
