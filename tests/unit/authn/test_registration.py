"""Registration: one answer for every address, a code only for new ones, and a code that
creates one account, once, within its tries and its lifetime."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.authenticators import Verified
from ciam_oidc.authn.mail import BackgroundMailer, KeptMessage
from ciam_oidc.authn.password_policy import PasswordPolicy
from ciam_oidc.authn.registration import (
    DEAD_CODE,
    MAX_CODE_ATTEMPTS,
    CodeSent,
    Refused,
    Registered,
    Registrations,
    SignUp,
    WrongCode,
)
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.passwords import verify_password
from ciam_oidc.protocol.users import UserRequest, new_user
from ciam_oidc.store.audit import SqlAuditStore
from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database
from ciam_oidc.store.mailbox import DevMailbox
from ciam_oidc.store.registrations import PendingRegistrationRow, SqlPendingRegistrationStore
from ciam_oidc.store.users import SqlUserStore
from tests.support.clock import Clock

ISSUER = "https://id.example.com"
FLOW = "flow-1"
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"
TTL = timedelta(minutes=30)
MAX_REGISTRATIONS = 3
_CODE = re.compile(r"Your code is (\d{6})")
_LINK = re.compile(re.escape(ISSUER) + r"/register/verify\?\S+")


@dataclass
class Desk:
    """Registrations on real stores of one test database, mail kept in its dev mailbox."""

    registrations: Registrations
    outbox: BackgroundMailer
    mailbox: DevMailbox
    users: SqlUserStore
    audit: AuditLog
    database: Database
    clock: Clock

    async def start(
        self, email: str = EMAIL, password: str = PASSWORD, name: str = "", terms: bool = False
    ) -> CodeSent | Refused:
        """Submit the form, and let the mail go out."""
        result = await self.registrations.start(FLOW, SignUp(email, password, name, terms))
        await self.outbox.drain()
        return result

    async def sent(self, email: str = EMAIL, name: str = "") -> CodeSent:
        result = await self.start(email, name=name)
        assert isinstance(result, CodeSent), result
        return result

    async def mail_to(self, email: str) -> list[KeptMessage]:
        return [message for message in await self.mailbox.list() if message.to == email]

    async def code_for(self, email: str = EMAIL) -> str:
        """The code in the one mail `email` received."""
        (message,) = await self.mail_to(email)
        found = _CODE.search(message.text)
        assert found, "the mail holds no code"
        return found[1]

    async def add_user(self, email: str) -> str:
        user = new_user(UserRequest(email), None, self.clock())
        await self.users.add_user(user)
        return user.sub

    async def pending_rows(self) -> int:
        async with self.database.sessions() as session:
            return int(await session.scalar(select(func.count(PendingRegistrationRow.id))) or 0)


@asynccontextmanager
async def desk(database_url: str, terms_version: str | None = None) -> AsyncIterator[Desk]:
    database = Database(database_url)
    clock = Clock()
    mailbox = DevMailbox(database, clock)
    outbox = BackgroundMailer(mailbox)
    users = SqlUserStore(database)
    audit = AuditLog(SqlAuditStore(database), clock)
    throttle = LoginThrottle(
        counter=SqlFailureCounter(database),
        key=b"throttle-key",
        max_failures=MAX_REGISTRATIONS,
        window=timedelta(minutes=15),
        clock=clock,
    )
    registrations = Registrations(
        users=users,
        pending=SqlPendingRegistrationStore(database),
        mailer=outbox,
        throttle=throttle,
        passwords=PasswordPolicy(8),
        audit=audit,
        code_key=b"k" * 32,
        base_url=ISSUER,
        ttl=TTL,
        terms_version=terms_version,
        clock=clock,
    )
    try:
        yield Desk(registrations, outbox, mailbox, users, audit, database, clock)
    finally:
        await outbox.aclose()
        await database.dispose()


@pytest.fixture
async def desk_(database_url: str) -> AsyncIterator[Desk]:
    async with desk(database_url) as opened:
        yield opened


async def test_a_new_address_is_mailed_a_code_and_a_link_to_a_confirmation_page(
    desk_: Desk,
) -> None:
    sent = await desk_.sent(" Ada@Example.com ")
    assert (sent.email, sent.flow_id) == (EMAIL, FLOW)
    (message,) = await desk_.mail_to(EMAIL)
    assert message.subject == "Confirm your email address for ciam-oidc"
    assert "30 minutes" in message.text
    link = _LINK.search(message.text)
    assert link, "the mail holds a link"
    query = parse_qs(urlsplit(link[0]).query)
    assert query == {"registration": [sent.registration_id], "code": [await desk_.code_for()]}
    assert PASSWORD not in message.text


async def test_the_right_code_creates_the_account_with_its_address_verified(
    desk_: Desk,
) -> None:
    sent = await desk_.sent(EMAIL, name="Ada Lovelace")
    result = await desk_.registrations.verify(sent.registration_id, await desk_.code_for(), "ip")
    assert isinstance(result, Registered)
    assert result.flow_id == FLOW
    user = await desk_.users.find_user_by_email(EMAIL)
    assert user is not None
    assert result.verified == Verified(user.sub, ("pwd",))
    assert user.email_verified
    assert user.claims == {"name": "Ada Lovelace"}
    assert user.password_hash is not None
    assert (await verify_password(PASSWORD, user.password_hash))[0]
    events = await desk_.audit.of(user.sub)
    assert {event.type for event in events} == {
        EventType.EMAIL_VERIFIED,
        EventType.ACCOUNT_REGISTERED,
    }
    assert all(event.details == {} and event.ip == "ip" for event in events)


async def test_an_address_with_an_account_gets_the_same_answer_and_a_note_without_a_code(
    desk_: Desk,
) -> None:
    sub = await desk_.add_user("grace@example.com")
    new, taken = await desk_.sent(EMAIL), await desk_.sent("grace@example.com")
    assert (new.email, new.flow_id) == (EMAIL, FLOW)
    assert (taken.email, taken.flow_id) == ("grace@example.com", FLOW)
    (note,) = await desk_.mail_to("grace@example.com")
    assert note.subject == "You already have an account with ciam-oidc"
    assert "Forgot your password?" in note.text
    assert not re.search(r"\d{6}", note.text)
    assert "http" not in note.text
    assert [user.sub for user in await desk_.users.list_users()] == [sub]


async def test_guessing_behaves_alike_whether_or_not_the_address_has_an_account(
    desk_: Desk,
) -> None:
    await desk_.add_user("grace@example.com")
    answers = []
    for email in (EMAIL, "grace@example.com"):
        sent = await desk_.sent(email)
        guesses = [
            await desk_.registrations.verify(sent.registration_id, "000000")
            for _ in range(MAX_CODE_ATTEMPTS + 1)
        ]
        answers.append([type(g).__name__ + getattr(g, "message", "") for g in guesses])
    assert answers[0] == answers[1]


async def test_neither_the_password_nor_the_code_is_stored(desk_: Desk) -> None:
    await desk_.sent()
    code = await desk_.code_for()
    async with desk_.database.sessions() as session:
        row = await session.scalar(select(PendingRegistrationRow))
    assert row is not None
    assert row.password_hash.startswith("$argon2id$")
    assert code not in row.code_digest
    assert PASSWORD not in row.password_hash


@pytest.mark.parametrize(
    ("email", "password", "name", "message"),
    [
        ("not an address", PASSWORD, "", "Enter a valid email address."),
        (EMAIL, "short", "", "Use at least 8 characters."),
        (EMAIL, "Password1", "", "one of the most common ones"),
        (EMAIL, "ADA@example.com", "", "not your email address"),
        (EMAIL, PASSWORD, "A" * 201, "Use at most 200 characters for your name."),
    ],
)
async def test_a_form_with_a_problem_is_refused_and_nothing_is_stored_or_sent(
    desk_: Desk, email: str, password: str, name: str, message: str
) -> None:
    result = await desk_.start(email, password, name=name)
    assert isinstance(result, Refused)
    assert message in result.message
    assert await desk_.pending_rows() == 0
    assert await desk_.mailbox.list() == []


async def test_terms_must_be_accepted_and_the_acceptance_is_recorded(database_url: str) -> None:
    async with desk(database_url, terms_version="2026-01") as terms_desk:
        refused = await terms_desk.start(EMAIL)
        assert refused == Refused("To create an account, please accept the terms of service.")
        sent = await terms_desk.start(EMAIL, terms=True)
        assert isinstance(sent, CodeSent)
        accepted_at = terms_desk.clock()
        terms_desk.clock.advance(timedelta(minutes=5))
        code = await terms_desk.code_for()
        result = await terms_desk.registrations.verify(sent.registration_id, code)
        assert isinstance(result, Registered)
        events = await terms_desk.audit.of(result.verified.sub)
    (registered,) = [e for e in events if e.type is EventType.ACCOUNT_REGISTERED]
    assert registered.details == {
        "terms_version": "2026-01",
        "terms_accepted_at": accepted_at.isoformat(),
    }


async def test_five_wrong_codes_end_the_registration_even_for_the_right_code(
    desk_: Desk,
) -> None:
    sent = await desk_.sent()
    code = await desk_.code_for()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [
        await desk_.registrations.verify(sent.registration_id, wrong)
        for _ in range(MAX_CODE_ATTEMPTS)
    ]
    assert [type(answer) for answer in answers[:-1]] == [WrongCode] * (MAX_CODE_ATTEMPTS - 1)
    assert isinstance(answers[0], WrongCode)
    assert "4 tries left" in answers[0].message
    assert answers[-1] == DEAD_CODE
    assert await desk_.registrations.verify(sent.registration_id, code) == DEAD_CODE
    assert await desk_.registrations.waiting(sent.registration_id) is None
    assert await desk_.users.find_user_by_email(EMAIL) is None


async def test_the_right_code_on_the_last_try_still_works(desk_: Desk) -> None:
    sent = await desk_.sent()
    for _ in range(MAX_CODE_ATTEMPTS - 1):
        await desk_.registrations.verify(sent.registration_id, "not it")
    result = await desk_.registrations.verify(sent.registration_id, await desk_.code_for())
    assert isinstance(result, Registered)


async def test_parallel_guesses_cannot_get_past_the_limit(desk_: Desk) -> None:
    sent = await desk_.sent()
    guesses = await asyncio.gather(
        *(desk_.registrations.verify(sent.registration_id, "000000") for _ in range(12))
    )
    assert sum(isinstance(guess, WrongCode) for guess in guesses) == MAX_CODE_ATTEMPTS - 1
    result = await desk_.registrations.verify(sent.registration_id, await desk_.code_for())
    assert result == DEAD_CODE


async def test_an_expired_code_is_refused(desk_: Desk) -> None:
    sent = await desk_.sent()
    assert await desk_.registrations.waiting(sent.registration_id) == sent
    desk_.clock.advance(TTL)
    assert await desk_.registrations.waiting(sent.registration_id) is None
    result = await desk_.registrations.verify(sent.registration_id, await desk_.code_for())
    assert result == DEAD_CODE
    assert await desk_.users.find_user_by_email(EMAIL) is None


async def test_a_code_creates_one_account_once(desk_: Desk) -> None:
    sent = await desk_.sent()
    code = await desk_.code_for()
    first = await desk_.registrations.verify(sent.registration_id, code)
    assert isinstance(first, Registered)
    assert await desk_.registrations.verify(sent.registration_id, code) == DEAD_CODE
    assert len(await desk_.users.list_users()) == 1


async def test_the_same_code_sent_by_several_nodes_at_once_creates_one_account(
    desk_: Desk,
) -> None:
    sent = await desk_.sent()
    code = await desk_.code_for()
    results = await asyncio.gather(
        *(desk_.registrations.verify(sent.registration_id, code) for _ in range(4))
    )
    assert sum(isinstance(result, Registered) for result in results) == 1
    assert len(await desk_.users.list_users()) == 1


async def test_an_address_that_got_an_account_meanwhile_is_refused_kindly(
    desk_: Desk,
) -> None:
    sent = await desk_.sent()
    sub = await desk_.add_user(EMAIL)  # by another registration, or by an operator
    result = await desk_.registrations.verify(sent.registration_id, await desk_.code_for())
    assert isinstance(result, Refused)
    assert result.message.startswith("There already is an account with this email address.")
    assert [user.sub for user in await desk_.users.list_users()] == [sub]


async def test_registrations_beyond_the_limit_answer_the_same_but_send_nothing(
    desk_: Desk,
) -> None:
    answers = [await desk_.sent() for _ in range(MAX_REGISTRATIONS + 2)]
    assert {(answer.email, answer.flow_id) for answer in answers} == {(EMAIL, FLOW)}
    assert len(await desk_.mail_to(EMAIL)) == MAX_REGISTRATIONS
    assert await desk_.pending_rows() == MAX_REGISTRATIONS


async def test_expired_registrations_are_swept_when_a_new_one_is_stored(desk_: Desk) -> None:
    await desk_.sent("one@example.com")
    await desk_.sent("two@example.com")
    desk_.clock.advance(TTL)
    await desk_.sent("three@example.com")
    assert await desk_.pending_rows() == 1


async def test_a_code_typed_with_spaces_is_accepted(desk_: Desk) -> None:
    sent = await desk_.sent()
    code = await desk_.code_for()
    result = await desk_.registrations.verify(sent.registration_id, f" {code[:3]} {code[3:]} ")
    assert isinstance(result, Registered)


async def test_an_unknown_registration_is_refused_like_a_dead_one(desk_: Desk) -> None:
    assert await desk_.registrations.verify("no-such-registration", "123456") == DEAD_CODE
    assert await desk_.registrations.waiting("no-such-registration") is None
