"""Connected apps, signed-in browsers and deletion, on real stores and a hand-moved clock.

The account pages' spec tests drive these through HTTP; here are the cases a page cannot set
up easily: first-party apps, deleted clients, and whose audit events survive a deletion.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from ciam_oidc.authn.account import (
    AccountDeletion,
    AccountSessions,
    ConnectedApp,
    ConnectedApps,
)
from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.protocol.users import UserRequest, new_user
from ciam_oidc.store.account_traces import SqlAccountTraces
from ciam_oidc.store.audit import SqlAuditStore
from ciam_oidc.store.clients import SqlClientStore
from ciam_oidc.store.consents import SqlConsentStore
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import SqlGrantStore
from ciam_oidc.store.sessions import SqlSessionStore
from ciam_oidc.store.users import SqlUserStore
from tests.support.clock import Clock

IP = "203.0.113.9"


@dataclass
class Account:
    sub: str
    clock: Clock
    clients: SqlClientStore
    consents: SqlConsentStore
    grants: SqlGrantStore
    users: SqlUserStore
    sessions: Sessions
    audit: AuditLog
    apps: ConnectedApps
    browsers: AccountSessions
    deletion: AccountDeletion

    async def client(self, name: str, *, first_party: bool = False) -> str:
        request = ClientRequest(name, ("https://rp.example/cb",), first_party=first_party)
        client, _ = register_client(request, self.clock())
        await self.clients.add_client(client)
        return client.client_id

    async def sign_in(self, sub: str | None = None) -> str:
        """A browser signed in to the account; its session id."""
        authentication = Authentication(sub or self.sub, self.clock(), "1", ("pwd",))
        _, session = await self.sessions.start(authentication, self.clock(), "Firefox")
        return session.id

    async def events(self, type: EventType) -> list[tuple[str | None, dict[str, str]]]:
        found = await self.audit.store.events(types=[type])
        return [(event.sub, dict(event.details)) for event in found]


@pytest.fixture
async def account(database_url: str) -> AsyncIterator[Account]:
    database = Database(database_url)
    clock = Clock()
    users = SqlUserStore(database)
    user = new_user(UserRequest("alice@example.com"), None, clock())
    await users.add_user(user)
    audit = AuditLog(SqlAuditStore(database), clock)
    sessions = Sessions(SqlSessionStore(database), timedelta(hours=8))
    clients, consents = SqlClientStore(database), SqlConsentStore(database)
    grants = SqlGrantStore(database)
    traces = SqlAccountTraces(database)
    try:
        yield Account(
            sub=user.sub,
            clock=clock,
            clients=clients,
            consents=consents,
            grants=grants,
            users=users,
            sessions=sessions,
            audit=audit,
            apps=ConnectedApps(clients, consents, grants, audit, clock),
            browsers=AccountSessions(sessions, audit, clock),
            deletion=AccountDeletion(users, grants, sessions, traces, audit, clock),
        )
    finally:
        await database.dispose()


# -- connected apps -----------------------------------------------------------------------


async def test_apps_by_consent_or_by_grant_are_listed_by_name(account: Account) -> None:
    shop = await account.client("shop")
    intranet = await account.client("Intranet", first_party=True)
    consented_at = account.clock()
    await account.consents.add_consent(account.sub, shop, ["openid", "email"], consented_at)
    account.clock.advance(timedelta(minutes=5))
    await account.grants.create_grant("g-intranet", intranet, account.sub, account.clock())

    assert await account.apps.of(account.sub) == [
        # First-party clients are never asked for consent, yet hold grants all the same.
        ConnectedApp(intranet, "Intranet", (), None, account.clock(), 1),
        ConnectedApp(shop, "shop", ("email", "openid"), consented_at, None, 0),
    ]


async def test_an_app_whose_client_was_deleted_is_named_by_its_client_id(
    account: Account,
) -> None:
    await account.grants.create_grant("g-1", "gone-client", account.sub, account.clock())
    [app] = await account.apps.of(account.sub)
    assert (app.client_id, app.name, app.live_grants) == ("gone-client", "gone-client", 1)


async def test_removing_an_app_revokes_its_grants_only(account: Account) -> None:
    shop, blog = await account.client("Shop"), await account.client("Blog")
    await account.consents.add_consent(account.sub, shop, ["openid"], account.clock())
    for grant_id, client_id in [("g-shop", shop), ("g-blog", blog)]:
        await account.grants.create_grant(grant_id, client_id, account.sub, account.clock())

    assert await account.apps.remove(account.sub, shop, IP)

    assert [app.name for app in await account.apps.of(account.sub)] == ["Blog"]
    assert not await account.grants.grant_is_active("g-shop")
    assert await account.grants.grant_is_active("g-blog")
    assert await account.events(EventType.CONSENT_REVOKED) == [(account.sub, {"client_id": shop})]


async def test_removing_an_app_that_has_no_access_changes_and_records_nothing(
    account: Account,
) -> None:
    assert not await account.apps.remove(account.sub, "never-connected", IP)
    assert await account.events(EventType.CONSENT_REVOKED) == []


# -- signed-in browsers -------------------------------------------------------------------


async def test_signing_out_everywhere_else_counts_the_others_once(account: Account) -> None:
    here = await account.sign_in()
    for _ in range(2):
        await account.sign_in()

    assert await account.browsers.end_others(account.sub, here, IP) == 2
    assert await account.browsers.end_others(account.sub, here, IP) == 0

    assert [session.id for session in await account.browsers.of(account.sub)] == [here]
    assert await account.events(EventType.SESSION_ENDED) == [(account.sub, {"others": "2"})]


async def test_a_session_of_another_account_is_not_ended(account: Account) -> None:
    bob = new_user(UserRequest("bob@example.com"), None, account.clock())
    await account.users.add_user(bob)
    bobs_session = await account.sign_in(bob.sub)

    assert not await account.browsers.end(account.sub, bobs_session, IP)
    assert [s.id for s in await account.browsers.of(bob.sub)] == [bobs_session]


# -- deletion -----------------------------------------------------------------------------


async def test_deletion_needs_the_accounts_address_and_does_nothing_without_it(
    account: Account,
) -> None:
    here = await account.sign_in()
    for typed in ("bob@example.com", "not an address", ""):
        assert not await account.deletion.delete(account.sub, typed, IP)
    assert await account.users.get_user(account.sub) is not None
    assert [s.id for s in await account.browsers.of(account.sub)] == [here]


async def test_the_audit_trail_keeps_the_deletion_but_not_whose_it_was(
    account: Account,
) -> None:
    bob = new_user(UserRequest("bob@example.com"), None, account.clock())
    await account.users.add_user(bob)
    await account.audit.record(EventType.PASSWORD_CHANGED, account.sub, IP)
    await account.audit.record(EventType.PASSWORD_CHANGED, bob.sub, IP)

    assert await account.deletion.delete(account.sub, " Alice@Example.com", IP)

    assert await account.users.get_user(account.sub) is None
    assert await account.audit.of(account.sub) == []
    [deleted] = await account.audit.store.events(types=[EventType.ACCOUNT_DELETED])
    assert (deleted.sub, deleted.ip) == (None, IP)
    changes = await account.events(EventType.PASSWORD_CHANGED)
    assert sorted(changes, key=str) == sorted([(None, {}), (bob.sub, {})], key=str)
