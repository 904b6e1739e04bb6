"""Password reset on real storage: one answer for every address, mail only for accounts, links
that work once, and a reset that signs the account out everywhere.

"Another node" is a second set of components on its own connection pool to the same database.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.flows import LoginFlows
from ciam_oidc.authn.mail import BackgroundMailer
from ciam_oidc.authn.password_policy import PasswordPolicy
from ciam_oidc.authn.password_reset import PasswordRefused, PasswordResets, ResetDone
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.passwords import hash_password, verify_password
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.users import User, UserRequest, new_user
from ciam_oidc.store.audit import SqlAuditStore
from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import SqlGrantStore
from ciam_oidc.store.login_flows import SqlLoginFlowStore
from ciam_oidc.store.mailbox import DevMailbox
from ciam_oidc.store.password_resets import PasswordResetRow, SqlResetLinkStore
from ciam_oidc.store.sessions import SqlSessionStore
from ciam_oidc.store.users import SqlUserStore, UserRow
from tests.support.clock import Clock

ISSUER = "https://id.example.com"
TTL = timedelta(minutes=30)
MAX_REQUESTS = 3
OLD_PASSWORD = "old password nobody guesses"
NEW_PASSWORD = "a brand new passphrase"
_LINK = re.compile(re.escape(ISSUER) + r"/reset/confirm\?token=[\w-]+")


@dataclass
class Node:
    database: Database
    resets: PasswordResets
    users: SqlUserStore
    sessions: Sessions
    grants: SqlGrantStore
    flows: LoginFlows
    audit: AuditLog
    mailbox: DevMailbox
    outbox: BackgroundMailer
    clock: Clock

    async def add_user(self, email: str = "ada@example.com", *, disabled: bool = False) -> User:
        request = UserRequest(email, email_verified=True)
        user = new_user(request, await hash_password(OLD_PASSWORD), self.clock())
        user = replace(user, disabled=disabled)
        await self.users.add_user(user)
        return user

    async def ask(self, email: str, flow_id: str | None = None) -> str | None:
        """Ask for a link as the reset page would, and let the mail go out.

        A second later than before, so the newest mail is the last one asked for.
        """
        self.clock.advance(timedelta(seconds=1))
        problem = await self.resets.request(email, flow_id)
        await self.outbox.drain()
        return problem

    async def latest_token(self) -> str:
        newest = (await self.mailbox.list(limit=1))[0]
        found = _LINK.search(newest.text)
        assert found is not None, "the mail holds no reset link"
        return parse_qs(urlsplit(found.group()).query)["token"][0]

    async def password_is(self, sub: str, password: str) -> bool:
        user = await self.users.get_user(sub)
        assert user is not None
        assert user.password_hash is not None
        return (await verify_password(password, user.password_hash))[0]


def node(database: Database, clock: Clock, outbox: BackgroundMailer, mailbox: DevMailbox) -> Node:
    users, grants = SqlUserStore(database), SqlGrantStore(database)
    sessions = Sessions(SqlSessionStore(database), timedelta(hours=8))
    flows = LoginFlows(SqlLoginFlowStore(database))
    audit = AuditLog(SqlAuditStore(database), clock)
    throttle = LoginThrottle(
        SqlFailureCounter(database), b"k" * 32, MAX_REQUESTS, timedelta(minutes=15), clock
    )
    resets = PasswordResets(
        users=users,
        links=SqlResetLinkStore(database),
        sessions=sessions,
        grants=grants,
        policy=PasswordPolicy(8),
        mailer=outbox,
        throttle=throttle,
        flows=flows,
        audit=audit,
        base_url=ISSUER,
        ttl=TTL,
        clock=clock,
    )
    return Node(database, resets, users, sessions, grants, flows, audit, mailbox, outbox, clock)


@pytest.fixture
async def reset(database_url: str) -> AsyncIterator[Node]:
    """Mail lands in the dev mailbox of the same database."""
    database, clock = Database(database_url), Clock()
    mailbox = DevMailbox(database, clock)
    outbox = BackgroundMailer(mailbox)
    try:
        yield node(database, clock, outbox, mailbox)
    finally:
        await outbox.aclose()
        await database.dispose()


async def test_known_and_unknown_addresses_get_the_same_answer_and_only_known_get_mail(
    reset: Node,
) -> None:
    await reset.add_user("ada@example.com")
    assert await reset.ask("nobody@example.com") is None
    assert await reset.ask(" Ada@Example.com ") is None
    assert [message.to for message in await reset.mailbox.list()] == ["ada@example.com"]


async def test_the_mail_links_to_the_issuer_and_says_how_long_the_link_works(reset: Node) -> None:
    await reset.add_user()
    await reset.ask("ada@example.com")
    (message,) = await reset.mailbox.list()
    token = await reset.latest_token()
    assert f"{ISSUER}/reset/confirm?token={token}" in message.text
    assert "30 minutes" in message.text
    assert "did not ask" in message.text
    assert message.subject == "Reset your password for ciam-oidc"


async def test_only_the_digest_of_the_token_is_stored(reset: Node) -> None:
    await reset.add_user()
    await reset.ask("ada@example.com")
    token = await reset.latest_token()
    async with reset.database.sessions() as session:
        digests = list(await session.scalars(select(PasswordResetRow.digest)))
    assert len(digests) == 1
    assert token not in digests[0]
    assert len(digests[0]) == 64


async def test_disabled_accounts_get_no_mail(reset: Node) -> None:
    await reset.add_user("gone@example.com", disabled=True)
    assert await reset.ask("gone@example.com") is None
    assert await reset.mailbox.list() == []


async def test_something_that_is_not_an_address_is_refused(reset: Node) -> None:
    assert await reset.ask("not an address") == "Enter a valid email address."


async def test_requests_beyond_the_limit_answer_the_same_but_send_nothing(reset: Node) -> None:
    await reset.add_user()
    answers = [await reset.ask("ada@example.com") for _ in range(MAX_REQUESTS + 2)]
    assert answers == [None] * (MAX_REQUESTS + 2)
    assert len(await reset.mailbox.list()) == MAX_REQUESTS


async def test_opening_the_link_names_the_account_and_spends_nothing(reset: Node) -> None:
    user = await reset.add_user()
    await reset.ask("ada@example.com")
    token = await reset.latest_token()
    assert await reset.resets.account_of(token) == "ada@example.com"
    assert await reset.resets.account_of(token) == "ada@example.com"
    assert isinstance(await reset.resets.reset(token, NEW_PASSWORD), ResetDone)
    assert await reset.password_is(user.sub, NEW_PASSWORD)
    assert not await reset.password_is(user.sub, OLD_PASSWORD)


async def test_a_link_works_once(reset: Node) -> None:
    await reset.add_user()
    await reset.ask("ada@example.com")
    token = await reset.latest_token()
    assert isinstance(await reset.resets.reset(token, NEW_PASSWORD), ResetDone)
    assert await reset.resets.reset(token, "yet another passphrase") is None
    assert await reset.resets.account_of(token) is None


async def test_an_expired_link_is_refused(reset: Node) -> None:
    user = await reset.add_user()
    await reset.ask("ada@example.com")
    token = await reset.latest_token()
    reset.clock.advance(TTL + timedelta(seconds=1))
    assert await reset.resets.account_of(token) is None
    assert await reset.resets.reset(token, NEW_PASSWORD) is None
    assert await reset.password_is(user.sub, OLD_PASSWORD)


async def test_an_unknown_token_is_refused(reset: Node) -> None:
    assert await reset.resets.account_of("made-up") is None
    assert await reset.resets.reset("made-up", NEW_PASSWORD) is None
    assert await reset.resets.reset("", NEW_PASSWORD) is None


async def test_an_account_disabled_after_the_mail_went_out_cannot_use_its_link(
    reset: Node,
) -> None:
    user = await reset.add_user()
    await reset.ask("ada@example.com")
    token = await reset.latest_token()
    async with reset.database.sessions.begin() as session:
        await session.execute(update(UserRow).where(UserRow.sub == user.sub).values(disabled=True))
    assert await reset.resets.account_of(token) is None
    assert await reset.resets.reset(token, NEW_PASSWORD) is None
    assert await reset.password_is(user.sub, OLD_PASSWORD)


async def test_deleting_the_account_deletes_its_links(reset: Node) -> None:
    user = await reset.add_user()
    await reset.ask("ada@example.com")
    assert await reset.users.delete_user(user.sub)
    async with reset.database.sessions() as session:
        assert list(await session.scalars(select(PasswordResetRow))) == []


async def test_a_weak_password_is_refused_with_the_policys_words_and_the_link_still_works(
    reset: Node,
) -> None:
    user = await reset.add_user()
    await reset.ask("ada@example.com")
    token = await reset.latest_token()
    policy = PasswordPolicy(8)
    for weak in ("short", "password", "ada@example.com"):
        refused = await reset.resets.reset(token, weak)
        assert refused == PasswordRefused(str(policy.problem(weak, "ada@example.com")))
    assert await reset.password_is(user.sub, OLD_PASSWORD)
    assert isinstance(await reset.resets.reset(token, NEW_PASSWORD), ResetDone)


async def test_a_reset_signs_out_everywhere_revokes_grants_and_voids_other_links(
    reset: Node,
) -> None:
    user = await reset.add_user()
    other = await reset.add_user("bob@example.com")
    now = reset.clock()
    for sub in (user.sub, user.sub, other.sub):
        await reset.sessions.start(Authentication(sub, now, "1", ("pwd",)), now)
    await reset.grants.create_grant("grant-ada", "shop", user.sub, now)
    await reset.grants.create_grant("grant-bob", "shop", other.sub, now)
    await reset.ask("ada@example.com")
    first = await reset.latest_token()
    await reset.ask("ada@example.com")
    second = await reset.latest_token()
    assert first != second

    assert isinstance(await reset.resets.reset(second, NEW_PASSWORD), ResetDone)

    assert await reset.sessions.of(user.sub, now) == []
    assert len(await reset.sessions.of(other.sub, now)) == 1
    assert not await reset.grants.grant_is_active("grant-ada")
    assert await reset.grants.grant_is_active("grant-bob")
    assert await reset.resets.reset(first, "yet another passphrase") is None
    [event] = await reset.audit.of(user.sub)
    assert event.type is EventType.PASSWORD_RESET
    assert event.details == {}


async def test_a_reset_lifts_the_sign_in_lock_of_the_account(reset: Node) -> None:
    await reset.add_user()
    throttle = reset.resets.throttle
    while await throttle.admit("ada@example.com"):
        pass  # as failed sign-ins with a forgotten password would
    await reset.ask("ada@example.com")
    assert isinstance(await reset.resets.reset(await reset.latest_token(), NEW_PASSWORD), ResetDone)
    assert await throttle.admit("ada@example.com")


async def test_the_sign_in_it_was_asked_from_is_given_back_while_it_is_open(reset: Node) -> None:
    await reset.add_user()
    open_flow = await reset.flows.start({}, reset.clock(), return_to="/account")
    await reset.ask("ada@example.com", open_flow.id)
    assert await reset.resets.reset(await reset.latest_token(), NEW_PASSWORD) == ResetDone(
        open_flow.id
    )

    finished = await reset.flows.start({}, reset.clock(), return_to="/account")
    await reset.ask("ada@example.com", finished.id)
    await reset.flows.finish(finished)
    token = await reset.latest_token()
    assert await reset.resets.reset(token, "yet another passphrase") == ResetDone(None)


async def test_a_flow_id_that_names_no_open_sign_in_is_not_kept(reset: Node) -> None:
    await reset.add_user()
    await reset.ask("ada@example.com", "x" * 500)
    async with reset.database.sessions() as session:
        assert list(await session.scalars(select(PasswordResetRow.flow_id))) == [None]


async def test_a_link_used_on_two_nodes_at_once_resets_once(reset: Node, database_url: str) -> None:
    await reset.add_user()
    await reset.ask("ada@example.com")
    token = await reset.latest_token()
    other = node(Database(database_url), reset.clock, reset.outbox, reset.mailbox)
    try:
        nodes = [reset, other]
        results = await asyncio.gather(
            *(nodes[i % 2].resets.reset(token, f"new passphrase {i}") for i in range(6))
        )
    finally:
        await other.database.dispose()
    assert sum(isinstance(result, ResetDone) for result in results) == 1
    assert results.count(None) == 5
