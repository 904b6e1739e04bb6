"""Changing one's password or email address, on real storage."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.credentials import (
    MAX_CODE_ATTEMPTS,
    EmailChanged,
    EmailChanges,
    PasswordChanges,
)
from ciam_oidc.authn.mail import BackgroundMailer
from ciam_oidc.authn.password_policy import PasswordPolicy
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.passwords import hash_password, verify_password
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.ports import BrowserSession
from ciam_oidc.protocol.users import User, UserRequest, new_user
from ciam_oidc.store.audit import SqlAuditStore
from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database
from ciam_oidc.store.mailbox import DevMailbox
from ciam_oidc.store.password_resets import EmailChangeRow, SqlEmailChangeStore
from ciam_oidc.store.sessions import SqlSessionStore
from ciam_oidc.store.users import SqlUserStore, UserRow
from tests.support.clock import Clock

CURRENT = "the current passphrase"
NEW = "a brand new passphrase"
MAX_FAILURES = 3
TTL = timedelta(minutes=30)
_CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class Node:
    database: Database
    passwords: PasswordChanges
    emails: EmailChanges
    users: SqlUserStore
    sessions: Sessions
    audit: AuditLog
    mailbox: DevMailbox
    outbox: BackgroundMailer
    clock: Clock

    async def add_user(
        self, email: str = "ada@example.com", *, password: str | None = CURRENT
    ) -> User:
        password_hash = await hash_password(password) if password else None
        user = new_user(UserRequest(email, email_verified=True), password_hash, self.clock())
        await self.users.add_user(user)
        return user

    async def sign_in(self, sub: str) -> BrowserSession:
        now = self.clock()
        _, session = await self.sessions.start(Authentication(sub, now, "1", ("pwd",)), now)
        return session

    async def password_is(self, sub: str, password: str) -> bool:
        user = await self.users.get_user(sub)
        assert user is not None
        assert user.password_hash is not None
        return (await verify_password(password, user.password_hash))[0]

    async def start(self, sub: str, email: str) -> str | None:
        """Ask to change to `email`, a second after any earlier request, and let mail go out."""
        self.clock.advance(timedelta(seconds=1))
        problem = await self.emails.start(sub, email)
        await self.outbox.drain()
        return problem

    async def confirm(self, sub: str, code: str) -> EmailChanged | str:
        changed = await self.emails.confirm(sub, code, "203.0.113.9")
        await self.outbox.drain()
        return changed

    async def code_sent_to(self, address: str) -> str:
        newest = next(m for m in await self.mailbox.list() if m.to == address)
        found = _CODE.search(newest.text)
        assert found is not None, "the mail holds no code"
        return found[1]


def node(database: Database, clock: Clock, outbox: BackgroundMailer, mailbox: DevMailbox) -> Node:
    users = SqlUserStore(database)
    sessions = Sessions(SqlSessionStore(database), timedelta(hours=8))
    audit = AuditLog(SqlAuditStore(database), clock)
    throttle = LoginThrottle(
        SqlFailureCounter(database), b"k" * 32, MAX_FAILURES, timedelta(minutes=15), clock
    )
    passwords = PasswordChanges(users, sessions, throttle, PasswordPolicy(8), audit, clock)
    emails = EmailChanges(
        users=users,
        changes=SqlEmailChangeStore(database),
        mailer=outbox,
        throttle=throttle,
        audit=audit,
        code_key=b"c" * 32,
        ttl=TTL,
        clock=clock,
    )
    return Node(database, passwords, emails, users, sessions, audit, mailbox, outbox, clock)


@pytest.fixture
async def account(database_url: str) -> AsyncIterator[Node]:
    database, clock = Database(database_url), Clock()
    mailbox = DevMailbox(database, clock)
    outbox = BackgroundMailer(mailbox)
    try:
        yield node(database, clock, outbox, mailbox)
    finally:
        await outbox.aclose()
        await database.dispose()


# -- password change -------------------------------------------------------------------------


async def test_the_right_current_password_changes_it_and_signs_out_only_the_other_browsers(
    account: Node,
) -> None:
    user = await account.add_user()
    here, elsewhere = await account.sign_in(user.sub), await account.sign_in(user.sub)
    assert await account.passwords.change(here, CURRENT, NEW, "203.0.113.9") is None
    assert await account.password_is(user.sub, NEW)
    live = await account.sessions.of(user.sub, account.clock())
    assert [session.id for session in live] == [here.id]
    assert elsewhere.id != here.id
    [event] = await account.audit.of(user.sub)
    assert (event.type, event.ip, event.details) == (EventType.PASSWORD_CHANGED, "203.0.113.9", {})


async def test_a_wrong_current_password_changes_nothing(account: Node) -> None:
    user = await account.add_user()
    here, elsewhere = await account.sign_in(user.sub), await account.sign_in(user.sub)
    problem = await account.passwords.change(here, "not it at all", NEW)
    assert problem == "That is not your current password."
    assert await account.password_is(user.sub, CURRENT)
    assert len(await account.sessions.of(user.sub, account.clock())) == 2
    assert elsewhere.id != here.id
    assert await account.audit.of(user.sub) == []


async def test_wrong_current_passwords_count_against_the_sign_in_throttle(account: Node) -> None:
    user = await account.add_user()
    here = await account.sign_in(user.sub)
    for _ in range(MAX_FAILURES):
        await account.passwords.change(here, "a wrong guess", NEW)
    problem = await account.passwords.change(here, CURRENT, NEW)
    assert problem == "Too many wrong passwords. Wait a few minutes and try again."
    assert await account.password_is(user.sub, CURRENT)
    # The same count the password sign-in uses: that is locked as well.
    assert not await account.passwords.throttle.admit("ada@example.com")


async def test_a_weak_new_password_is_refused_with_the_policys_words(account: Node) -> None:
    user = await account.add_user()
    here = await account.sign_in(user.sub)
    policy = PasswordPolicy(8)
    for weak in ("short", "password", "ada@example.com"):
        problem = await account.passwords.change(here, CURRENT, weak)
        assert problem == policy.problem(weak, "ada@example.com")
    assert await account.password_is(user.sub, CURRENT)


async def test_an_account_without_a_password_sets_one_without_a_current_one(
    account: Node,
) -> None:
    user = await account.add_user(password=None)
    assert not await account.passwords.has_password(user.sub)
    here = await account.sign_in(user.sub)
    assert await account.passwords.change(here, "", NEW) is None
    assert await account.passwords.has_password(user.sub)
    assert await account.password_is(user.sub, NEW)


async def test_a_disabled_account_cannot_change_its_password(account: Node) -> None:
    user = await account.add_user()
    here = await account.sign_in(user.sub)
    async with account.database.sessions.begin() as session:
        await session.execute(update(UserRow).where(UserRow.sub == user.sub).values(disabled=True))
    assert await account.passwords.change(here, CURRENT, NEW) == "This account no longer exists."


# -- email change ----------------------------------------------------------------------------


async def test_a_code_goes_to_the_new_address_and_confirming_it_changes_the_address(
    account: Node,
) -> None:
    user = await account.add_user()
    assert await account.start(user.sub, " Ada.New@Example.com ") is None
    assert await account.emails.pending(user.sub) == "ada.new@example.com"
    [mail] = await account.mailbox.list()
    assert mail.to == "ada.new@example.com"
    assert "30 minutes" in mail.text
    code = await account.code_sent_to("ada.new@example.com")
    assert code not in mail.subject

    assert await account.confirm(user.sub, f" {code[:3]} {code[3:]} ") == EmailChanged(
        "ada.new@example.com"
    )
    changed = await account.users.get_user(user.sub)
    assert changed is not None
    assert (changed.email, changed.email_verified) == ("ada.new@example.com", True)
    assert await account.emails.pending(user.sub) is None
    [event] = await account.audit.of(user.sub)
    assert (event.type, event.details) == (EventType.EMAIL_CHANGED, {})


async def test_the_old_address_is_told_of_the_change(account: Node) -> None:
    user = await account.add_user()
    await account.start(user.sub, "ada.new@example.com")
    await account.confirm(user.sub, await account.code_sent_to("ada.new@example.com"))
    [notice] = [m for m in await account.mailbox.list() if m.to == "ada@example.com"]
    assert notice.subject == "Your email address for ciam-oidc was changed"
    assert "ada.new@example.com" not in notice.text


async def test_the_code_is_stored_only_as_a_keyed_digest(account: Node) -> None:
    user = await account.add_user()
    await account.start(user.sub, "ada.new@example.com")
    code = await account.code_sent_to("ada.new@example.com")
    async with account.database.sessions() as session:
        [row] = await session.scalars(select(EmailChangeRow))
    assert code not in row.code_digest
    assert len(row.code_digest) == 64


async def test_a_wrong_code_is_refused_and_too_many_kill_the_right_one(account: Node) -> None:
    user = await account.add_user()
    await account.start(user.sub, "ada.new@example.com")
    code = await account.code_sent_to("ada.new@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(MAX_CODE_ATTEMPTS):
        assert await account.confirm(user.sub, wrong) == (
            "That code is not right. Check the newest email we sent and type its code."
        )
    assert await account.confirm(user.sub, code) == (
        "This code has expired or was tried too many times. Ask for a new one."
    )
    unchanged = await account.users.get_user(user.sub)
    assert unchanged is not None
    assert unchanged.email == "ada@example.com"


async def test_an_expired_code_is_refused(account: Node) -> None:
    user = await account.add_user()
    await account.start(user.sub, "ada.new@example.com")
    code = await account.code_sent_to("ada.new@example.com")
    account.clock.advance(TTL + timedelta(seconds=1))
    assert await account.emails.pending(user.sub) is None
    assert not isinstance(await account.confirm(user.sub, code), EmailChanged)


async def test_asking_again_replaces_the_earlier_code(account: Node) -> None:
    user = await account.add_user()
    await account.start(user.sub, "first@example.com")
    first = await account.code_sent_to("first@example.com")
    await account.start(user.sub, "second@example.com")
    second = await account.code_sent_to("second@example.com")
    # Even should the digits repeat: a code is bound to the address it was sent to.
    assert not isinstance(await account.confirm(user.sub, first), EmailChanged)
    assert await account.confirm(user.sub, second) == EmailChanged("second@example.com")


async def test_a_code_works_only_for_the_account_that_asked(account: Node) -> None:
    ada, bob = await account.add_user(), await account.add_user("bob@example.com")
    await account.start(ada.sub, "shared@example.com")
    code = await account.code_sent_to("shared@example.com")
    assert not isinstance(await account.confirm(bob.sub, code), EmailChanged)
    assert await account.confirm(ada.sub, code) == EmailChanged("shared@example.com")


async def test_an_address_of_another_account_is_refused_only_after_the_code(
    account: Node,
) -> None:
    ada = await account.add_user()
    await account.add_user("bob@example.com")
    assert await account.start(ada.sub, "bob@example.com") is None
    code = await account.code_sent_to("bob@example.com")
    assert await account.confirm(ada.sub, code) == (
        "That address belongs to another account. Choose another address."
    )
    unchanged = await account.users.get_user(ada.sub)
    assert unchanged is not None
    assert unchanged.email == "ada@example.com"
    assert await account.audit.of(ada.sub) == []


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("not an address", "Enter a valid email address."),
        ("ADA@example.com", "That is already your email address."),
    ],
)
async def test_addresses_that_cannot_be_the_new_one_get_no_code(
    account: Node, typed: str, problem: str
) -> None:
    user = await account.add_user()
    assert await account.start(user.sub, typed) == problem
    assert await account.mailbox.list() == []


async def test_codes_sent_to_one_address_are_limited(account: Node) -> None:
    user = await account.add_user()
    for _ in range(MAX_FAILURES):
        assert await account.start(user.sub, "ada.new@example.com") is None
    assert await account.start(user.sub, "ada.new@example.com") == (
        "Too many codes were sent to that address. Wait a few minutes and try again."
    )
    assert len(await account.mailbox.list()) == MAX_FAILURES


async def test_a_code_confirmed_on_two_nodes_at_once_changes_the_address_once(
    account: Node, database_url: str
) -> None:
    user = await account.add_user()
    await account.start(user.sub, "ada.new@example.com")
    code = await account.code_sent_to("ada.new@example.com")
    other = node(Database(database_url), account.clock, account.outbox, account.mailbox)
    try:
        nodes = [account, other]
        results = await asyncio.gather(
            *(nodes[i % 2].emails.confirm(user.sub, code) for i in range(4))
        )
    finally:
        await other.database.dispose()
    assert results.count(EmailChanged("ada.new@example.com")) == 1
    assert len(await account.audit.of(user.sub)) == 1


async def test_two_requests_racing_on_two_nodes_leave_one_pending_change(
    account: Node, database_url: str
) -> None:
    user = await account.add_user()
    other = node(Database(database_url), account.clock, account.outbox, account.mailbox)
    try:
        problems = await asyncio.gather(
            account.emails.start(user.sub, "first@example.com"),
            other.emails.start(user.sub, "second@example.com"),
        )
    finally:
        await other.database.dispose()
    assert problems == [None, None]
    assert await account.emails.pending(user.sub) in {"first@example.com", "second@example.com"}
