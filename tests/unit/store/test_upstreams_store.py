"""Upstream identity providers, the identities linked through them and redirects in progress,
on SQLite and PostgreSQL: secrets sealed at rest, an account and its first link created
together or not at all, and a callback's state answered once across nodes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ciam_oidc.authn.upstreams import (
    LinkedIdentity,
    PendingRedirect,
    Upstream,
    UpstreamKind,
    UpstreamRequest,
)
from ciam_oidc.crypto.encryption import DecryptionError, SecretBox
from ciam_oidc.protocol.ports import AlreadyExists
from ciam_oidc.protocol.users import User, UserRequest, new_user
from ciam_oidc.store.database import Database
from ciam_oidc.store.upstreams import (
    SqlLinkedIdentityStore,
    SqlPendingRedirectStore,
    SqlUpstreamStore,
)
from ciam_oidc.store.users import SqlUserStore
from tests.conftest import TEST_SECRET

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
PURPOSE = "upstream-secrets"
CLIENT_SECRET = "GOCSPX-very-secret-client-secret"
PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n"
)
GOOGLE = "https://accounts.google.com"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def upstreams(database: Database) -> SqlUpstreamStore:
    return SqlUpstreamStore(database, SecretBox(TEST_SECRET.encode(), PURPOSE))


@pytest.fixture
def links(database: Database) -> SqlLinkedIdentityStore:
    return SqlLinkedIdentityStore(database)


def google(upstream_id: str = "google", created_at: datetime = NOW) -> Upstream:
    return Upstream(
        id=upstream_id,
        name="Google",
        kind=UpstreamKind.OIDC,
        preset="google",
        client_id="1234.apps.googleusercontent.com",
        client_secret=CLIENT_SECRET,
        issuer=GOOGLE,
        scopes=("openid", "email", "profile"),
        claim_map={"nickname": "given_name"},
        options={"hd": "example.com"},
        icon_uri="https://cdn.example.com/google.svg",
        trust_email=True,
        created_at=created_at,
    )


def apple() -> Upstream:
    return Upstream(
        id="apple",
        name="Apple",
        kind=UpstreamKind.OIDC,
        preset="apple",
        client_id="com.example.web",
        private_key=PRIVATE_KEY,
        issuer="https://appleid.apple.com",
        options={"team_id": "TEAM123456", "key_id": "KEY1234567"},
        trust_authn=True,
        enabled=False,
        created_at=NOW + MINUTE,
    )


def github() -> Upstream:
    return Upstream(
        id="github",
        name="GitHub",
        kind=UpstreamKind.OAUTH2,
        preset="github",
        client_id="Iv1.abc",
        client_secret="github-secret",
        issuer="https://github.com",
        authorization_endpoint="https://github.com/login/oauth/authorize",
        token_endpoint="https://github.com/login/oauth/access_token",
        userinfo_endpoint="https://api.github.com/user",
        created_at=NOW,
    )


async def raw_upstream(database: Database, upstream_id: str) -> dict[str, object]:
    """The row as a database dump shows it."""
    async with database.sessions() as session:
        found = await session.execute(
            text("SELECT * FROM upstreams WHERE id = :id"), {"id": upstream_id}
        )
        return dict(found.mappings().one())


async def count(database: Database, table: str) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


# -- upstreams ----------------------------------------------------------------------------------


async def test_an_upstream_round_trips_with_its_secrets(upstreams: SqlUpstreamStore) -> None:
    for upstream in (google(), apple(), github()):
        await upstreams.add_upstream(upstream)
    assert await upstreams.get_upstream("google") == google()
    assert await upstreams.get_upstream("apple") == apple()
    assert await upstreams.get_upstream("github") == github()
    assert await upstreams.get_upstream("facebook") is None


async def test_upstreams_are_listed_oldest_first_then_by_id(upstreams: SqlUpstreamStore) -> None:
    for upstream in (apple(), google("google"), github()):
        await upstreams.add_upstream(upstream)
    listed = await upstreams.list_upstreams()
    assert [upstream.id for upstream in listed] == ["github", "google", "apple"]


async def test_a_taken_id_is_refused_and_the_first_upstream_kept(
    upstreams: SqlUpstreamStore,
) -> None:
    await upstreams.add_upstream(google())
    with pytest.raises(AlreadyExists, match="'google'"):
        await upstreams.add_upstream(dataclasses.replace(github(), id="google"))
    assert await upstreams.get_upstream("google") == google()


async def test_secrets_are_not_in_the_row_in_clear(
    database: Database, upstreams: SqlUpstreamStore
) -> None:
    await upstreams.add_upstream(google())
    await upstreams.add_upstream(apple())
    for upstream_id, secret in (("google", CLIENT_SECRET), ("apple", PRIVATE_KEY)):
        row = await raw_upstream(database, upstream_id)
        dump = b"".join(
            value if isinstance(value, bytes) else str(value).encode() for value in row.values()
        )
        assert secret.encode() not in dump
        assert b"MIGTAgEAMBMG" not in dump  # not even the key body alone
    assert (await raw_upstream(database, "apple"))["sealed_secret"] is None


async def test_another_master_secret_cannot_open_them(
    database: Database, upstreams: SqlUpstreamStore
) -> None:
    await upstreams.add_upstream(google())
    for box in (
        SecretBox(b"another-master-secret-0123456789ab", PURPOSE),
        SecretBox(TEST_SECRET.encode(), "signing-keys"),
    ):
        with pytest.raises(DecryptionError):
            await SqlUpstreamStore(database, box).get_upstream("google")


async def test_a_sealed_secret_copied_to_another_upstream_does_not_open(
    database: Database, upstreams: SqlUpstreamStore
) -> None:
    await upstreams.add_upstream(google())
    await upstreams.add_upstream(github())
    async with database.sessions.begin() as session:
        await session.execute(
            text(
                "UPDATE upstreams SET sealed_secret = "
                "(SELECT sealed_secret FROM upstreams WHERE id = 'google') WHERE id = 'github'"
            )
        )
    with pytest.raises(DecryptionError):
        await upstreams.get_upstream("github")


async def test_an_update_changes_settings_and_secrets_but_not_the_creation_time(
    upstreams: SqlUpstreamStore,
) -> None:
    await upstreams.add_upstream(google())
    changed = dataclasses.replace(
        google(),
        name="Google Workspace",
        client_secret="rotated-secret",
        scopes=("openid", "email"),
        enabled=False,
        created_at=NOW + 10 * MINUTE,
    )
    await upstreams.update_upstream(changed)
    stored = await upstreams.get_upstream("google")
    assert stored == dataclasses.replace(changed, created_at=NOW)


async def test_a_deleted_upstream_is_gone(upstreams: SqlUpstreamStore) -> None:
    await upstreams.add_upstream(google())
    assert await upstreams.delete_upstream("google") is True
    assert await upstreams.delete_upstream("google") is False
    assert await upstreams.get_upstream("google") is None


# -- linked identities --------------------------------------------------------------------------


def person(email: str) -> User:
    return new_user(UserRequest(email=email, email_verified=True), None, NOW)


def link_of(
    user: User,
    subject: str = "10769150350006150715113082367",
    issuer: str = GOOGLE,
    upstream_id: str = "google",
) -> LinkedIdentity:
    return LinkedIdentity(issuer, subject, user.sub, upstream_id, user.email, linked_at=NOW)


async def test_a_link_round_trips_and_its_identity_is_linked_once(
    database: Database, links: SqlLinkedIdentityStore
) -> None:
    users = SqlUserStore(database)
    ada, eve = person("ada@example.com"), person("eve@example.com")
    await users.add_user(ada)
    await users.add_user(eve)
    await links.add_link(link_of(ada))
    with pytest.raises(AlreadyExists):
        await links.add_link(link_of(eve))
    assert await links.find_link(GOOGLE, link_of(ada).subject) == link_of(ada)
    assert await links.find_link("https://github.com", link_of(ada).subject) is None
    assert await links.links_of(eve.sub) == []


async def test_an_account_lists_its_links_oldest_first(
    database: Database, links: SqlLinkedIdentityStore
) -> None:
    ada = person("ada@example.com")
    await SqlUserStore(database).add_user(ada)
    later = link_of(ada, "42", issuer="https://github.com", upstream_id="github")
    later = dataclasses.replace(later, linked_at=NOW + MINUTE)
    await links.add_link(later)
    await links.add_link(link_of(ada))
    assert await links.links_of(ada.sub) == [link_of(ada), later]


async def test_a_link_is_removed_only_by_its_own_account(
    database: Database, links: SqlLinkedIdentityStore
) -> None:
    users = SqlUserStore(database)
    ada, eve = person("ada@example.com"), person("eve@example.com")
    await users.add_user(ada)
    await users.add_user(eve)
    await links.add_link(link_of(ada))
    assert await links.remove_link(eve.sub, GOOGLE, link_of(ada).subject) is False
    assert await links.find_link(GOOGLE, link_of(ada).subject) is not None
    assert await links.remove_link(ada.sub, GOOGLE, link_of(ada).subject) is True
    assert await links.find_link(GOOGLE, link_of(ada).subject) is None


async def test_touching_a_link_records_its_last_use(
    database: Database, links: SqlLinkedIdentityStore
) -> None:
    ada = person("ada@example.com")
    await SqlUserStore(database).add_user(ada)
    await links.add_link(link_of(ada))
    await links.touch_link(GOOGLE, link_of(ada).subject, NOW + MINUTE)
    found = await links.find_link(GOOGLE, link_of(ada).subject)
    assert found is not None
    assert found.last_used_at == NOW + MINUTE


async def test_a_new_account_and_its_first_link_are_stored_together(
    database: Database, links: SqlLinkedIdentityStore
) -> None:
    ada = person("ada@example.com")
    await links.add_account(ada, link_of(ada))
    assert await SqlUserStore(database).get_user(ada.sub) == ada
    assert await links.links_of(ada.sub) == [link_of(ada)]


async def test_a_taken_email_creates_neither_account_nor_link(
    database: Database, links: SqlLinkedIdentityStore
) -> None:
    await SqlUserStore(database).add_user(person("ada@example.com"))
    newcomer = person("ada@example.com")
    with pytest.raises(AlreadyExists, match="email"):
        await links.add_account(newcomer, link_of(newcomer))
    assert await links.find_link(GOOGLE, link_of(newcomer).subject) is None
    assert await count(database, "linked_identities") == 0


async def test_a_taken_identity_creates_neither_account_nor_link(
    database: Database, links: SqlLinkedIdentityStore
) -> None:
    ada = person("ada@example.com")
    await links.add_account(ada, link_of(ada))
    newcomer = person("newcomer@example.com")
    with pytest.raises(AlreadyExists, match="already linked"):
        await links.add_account(newcomer, link_of(newcomer))
    assert await SqlUserStore(database).get_user(newcomer.sub) is None
    assert await count(database, "users") == 1
    assert await links.find_link(GOOGLE, link_of(ada).subject) == link_of(ada)


async def test_deleting_an_account_deletes_its_links(
    database: Database, links: SqlLinkedIdentityStore
) -> None:
    ada, eve = person("ada@example.com"), person("eve@example.com")
    await links.add_account(ada, link_of(ada))
    await links.add_account(eve, link_of(eve, "eve-at-google"))
    assert await SqlUserStore(database).delete_user(ada.sub) is True
    assert await links.find_link(GOOGLE, link_of(ada).subject) is None
    assert await links.links_of(eve.sub) == [link_of(eve, "eve-at-google")]


async def test_the_links_through_one_upstream_are_counted_and_deleted_together(
    links: SqlLinkedIdentityStore,
) -> None:
    ada, eve = person("ada@example.com"), person("eve@example.com")
    await links.add_account(ada, link_of(ada))
    await links.add_account(
        eve, link_of(eve, "42", issuer="https://github.com", upstream_id="github")
    )
    assert await links.count_links_of_upstream("google") == 1
    assert await links.delete_links_of_upstream("google") == 1
    assert await links.count_links_of_upstream("google") == 0
    assert await links.links_of(eve.sub) != []


# -- pending redirects --------------------------------------------------------------------------


def pending(sub: str | None = None) -> PendingRedirect:
    return PendingRedirect(
        upstream_id="google",
        request=UpstreamRequest(
            state="state-value",
            nonce="nonce-value",
            code_verifier="verifier-value",
            redirect_uri="https://id.example.com/federation/google/callback",
        ),
        device_digest="d" * 64,
        flow_id=None if sub else "flow-1",
        sub=sub,
    )


async def test_a_pending_redirect_is_taken_once(database: Database) -> None:
    store = SqlPendingRedirectStore(database)
    await store.add_pending("s" * 64, pending(), NOW + 10 * MINUTE)
    await store.add_pending("t" * 64, pending(sub="sub-ada"), NOW + 10 * MINUTE)
    assert await store.take_pending("s" * 64, NOW) == pending()
    assert await store.take_pending("s" * 64, NOW) is None
    assert await store.take_pending("t" * 64, NOW) == pending(sub="sub-ada")
    assert await store.take_pending("u" * 64, NOW) is None


async def test_an_expired_redirect_is_deleted_and_not_returned(database: Database) -> None:
    store = SqlPendingRedirectStore(database)
    await store.add_pending("s" * 64, pending(), NOW + 10 * MINUTE)
    assert await store.take_pending("s" * 64, NOW + 10 * MINUTE) is None
    assert await count(database, "upstream_redirects") == 0


async def test_two_nodes_racing_on_one_state_get_one_winner(database_url: str) -> None:
    nodes = [Database(database_url) for _ in range(2)]
    try:
        stores = [SqlPendingRedirectStore(node) for node in nodes]
        for round_number in range(5):
            digest = f"{round_number:064d}"
            await stores[0].add_pending(digest, pending(), NOW + MINUTE)
            taken = await asyncio.gather(*(store.take_pending(digest, NOW) for store in stores))
            assert sorted(taken, key=lambda found: found is None) == [pending(), None]
    finally:
        for node in nodes:
            await node.dispose()
