"""Authenticator apps end to end on real storage: enrolment, sign-in codes, recovery codes.

"Another node" is a second set of components on its own connection pool to the same database,
as a second process behind a load balancer would be.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import text

from ciam_oidc.authn.authenticators import Attempt, Factor, Failed, Prompt, Verified
from ciam_oidc.authn.authenticators.totp import TotpAuthenticator
from ciam_oidc.authn.recovery_codes import RecoveryCodes
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.authn.totp_enrolment import TotpEnrolment, TotpStatus
from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.protocol.users import UserRequest, new_user
from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database
from ciam_oidc.store.totp import SqlTotpStore
from ciam_oidc.store.users import SqlUserStore
from tests.support.clock import Clock

MASTER = b"test master secret for totp tests"
NOW = datetime(2026, 3, 29, 1, 30, 10, tzinfo=UTC)
STEP = timedelta(seconds=30)
MAX_FAILURES = 20
WRONG = Failed("That code is not valid.")


@dataclass
class Node:
    database: Database
    enrolment: TotpEnrolment
    method: TotpAuthenticator

    async def sign_in(self, sub: str | None, **form: str) -> Verified | Failed:
        result = await self.method.verify(Attempt(flow_id="flow-1", sub=sub), form)
        assert isinstance(result, Verified | Failed)
        return result


def node(database_url: str, clock: Clock) -> Node:
    database = Database(database_url)
    store = SqlTotpStore(database)
    box = SecretBox(MASTER, "totp")
    recovery_codes = RecoveryCodes(MASTER)
    throttle = LoginThrottle(
        SqlFailureCounter(database), b"k" * 32, MAX_FAILURES, timedelta(minutes=15), clock
    )
    return Node(
        database,
        TotpEnrolment(store, box, recovery_codes, "Example Shop", clock),
        TotpAuthenticator(store, box, recovery_codes, throttle, clock),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def nodes(database_url: str, clock: Clock) -> AsyncIterator[tuple[Node, Node]]:
    pair = (node(database_url, clock), node(database_url, clock))
    yield pair
    for each in pair:
        await each.database.dispose()


@pytest.fixture
def here(nodes: tuple[Node, Node]) -> Node:
    return nodes[0]


@pytest.fixture
def elsewhere(nodes: tuple[Node, Node]) -> Node:
    return nodes[1]


async def new_account(node: Node, email: str = "ada@example.com") -> str:
    user = new_user(UserRequest(email=email), None, NOW)
    await SqlUserStore(node.database).add_user(user)
    return user.sub


@pytest.fixture
async def sub(here: Node) -> str:
    return await new_account(here)


@dataclass
class Enrolled:
    secret: str
    recovery_codes: list[str]

    def code(self, moment: datetime) -> str:
        return pyotp.TOTP(self.secret).at(moment)


async def enrol(node: Node, sub: str, clock: Clock) -> Enrolled:
    """Enrolled five minutes ago, so the codes around NOW are all still unused."""
    clock.now = NOW - 10 * STEP
    setup = await node.enrolment.start(sub, "ada@example.com")
    codes = await node.enrolment.confirm(sub, pyotp.TOTP(setup.secret).at(clock.now))
    clock.now = NOW
    assert codes is not None
    return Enrolled(setup.secret, codes)


@pytest.fixture
async def enrolled(here: Node, sub: str, clock: Clock) -> Enrolled:
    return await enrol(here, sub, clock)


# -- enrolment -----------------------------------------------------------------------------


async def test_enrolment_needs_a_correct_first_code(here: Node, sub: str) -> None:
    setup = await here.enrolment.start(sub, "ada@example.com")
    right = pyotp.TOTP(setup.secret).at(NOW)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    assert await here.enrolment.confirm(sub, wrong) is None
    assert await here.enrolment.status(sub) == TotpStatus(enrolled=False, recovery_codes_left=0)
    assert not await here.method.enrolled(sub)

    codes = await here.enrolment.confirm(sub, right)
    assert codes is not None
    assert len(codes) == 10
    assert await here.enrolment.status(sub) == (True, 10)
    assert await here.method.enrolled(sub)


async def test_the_setup_holds_a_provisioning_uri_and_a_scalable_svg_qr_code(
    here: Node, sub: str
) -> None:
    setup = await here.enrolment.start(sub, "ada@example.com")
    assert setup.uri.startswith("otpauth://totp/Example%20Shop:ada%40example.com?")
    assert f"secret={setup.secret}" in setup.uri
    assert "issuer=Example%20Shop" in setup.uri
    assert len(base64.b32decode(setup.secret)) == 20  # 160 bits (RFC 4226 §4)
    assert setup.qr_svg.startswith("<svg ")
    assert "<?xml" not in setup.qr_svg
    assert "viewBox=" in setup.qr_svg
    assert " width=" not in setup.qr_svg.split(">", 1)[0]
    assert "style=" not in setup.qr_svg  # the page CSP allows no inline style


async def test_a_reload_on_any_node_shows_the_same_pending_secret(
    here: Node, elsewhere: Node, sub: str
) -> None:
    setup = await here.enrolment.start(sub, "ada@example.com")
    again = await elsewhere.enrolment.pending(sub, "ada@example.com")
    assert again == setup
    assert await elsewhere.enrolment.confirm(sub, pyotp.TOTP(setup.secret).at(NOW)) is not None


async def test_a_new_start_replaces_the_pending_secret(here: Node, sub: str) -> None:
    first = await here.enrolment.start(sub, "ada@example.com")
    second = await here.enrolment.start(sub, "ada@example.com")
    assert first.secret != second.secret
    assert await here.enrolment.confirm(sub, pyotp.TOTP(first.secret).at(NOW)) is None
    assert await here.enrolment.confirm(sub, pyotp.TOTP(second.secret).at(NOW)) is not None


async def test_without_a_pending_enrolment_there_is_nothing_to_confirm(
    here: Node, sub: str
) -> None:
    assert await here.enrolment.pending(sub, "ada@example.com") is None
    assert await here.enrolment.confirm(sub, "123456") is None


async def test_secrets_are_encrypted_at_rest(here: Node, sub: str) -> None:
    setup = await here.enrolment.start(sub, "ada@example.com")
    pending_row = await raw_row(here, sub)
    await here.enrolment.confirm(sub, pyotp.TOTP(setup.secret).at(NOW))
    confirmed_row = await raw_row(here, sub)

    for stored in (pending_row, confirmed_row):
        assert setup.secret.encode() not in stored
        assert base64.b32decode(setup.secret) not in stored
    assert confirmed_row != pending_row  # the confirmed secret really is there


async def raw_row(node: Node, sub: str) -> bytes:
    async with node.database.engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT * FROM totp_credentials WHERE sub = :sub"), {"sub": sub}
            )
        ).one()
    return b"|".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for value in row
    )


async def test_recovery_codes_are_stored_only_as_digests(
    here: Node, sub: str, enrolled: Enrolled
) -> None:
    async with here.database.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT sub, digest FROM recovery_codes"))).all()
    assert len(stored) == 10
    digests = " ".join(digest for _, digest in stored)
    for code in enrolled.recovery_codes:
        assert code.replace("-", "") not in digests


async def test_the_confirming_code_cannot_be_used_again_to_sign_in(
    here: Node, sub: str, clock: Clock
) -> None:
    setup = await here.enrolment.start(sub, "ada@example.com")
    code = pyotp.TOTP(setup.secret).at(NOW)
    assert await here.enrolment.confirm(sub, code) is not None
    assert await here.sign_in(sub, code=code) == WRONG


async def test_enrolling_again_replaces_the_old_secret_and_codes(
    here: Node, sub: str, clock: Clock, enrolled: Enrolled
) -> None:
    replacement = await enrol(here, sub, clock)
    assert await here.sign_in(sub, code=enrolled.code(NOW)) == WRONG
    assert await here.sign_in(sub, recovery_code=enrolled.recovery_codes[0]) == WRONG
    assert isinstance(await here.sign_in(sub, code=replacement.code(NOW)), Verified)


async def test_starting_a_new_enrolment_keeps_the_current_app_working(
    here: Node, sub: str, enrolled: Enrolled
) -> None:
    await here.enrolment.start(sub, "ada@example.com")
    assert await here.enrolment.status(sub) == (True, 10)
    assert isinstance(await here.sign_in(sub, code=enrolled.code(NOW)), Verified)


async def test_regenerating_recovery_codes_kills_the_old_ones(
    here: Node, sub: str, enrolled: Enrolled
) -> None:
    fresh = await here.enrolment.regenerate_recovery_codes(sub)
    assert fresh is not None
    assert len(fresh) == 10
    assert not set(fresh) & set(enrolled.recovery_codes)
    assert await here.sign_in(sub, recovery_code=enrolled.recovery_codes[0]) == WRONG
    assert await here.sign_in(sub, recovery_code=fresh[0]) == Verified(sub, ("otp",))
    assert await here.enrolment.status(sub) == (True, 9)


async def test_there_are_no_recovery_codes_without_an_app(here: Node, sub: str) -> None:
    await here.enrolment.start(sub, "ada@example.com")
    assert await here.enrolment.regenerate_recovery_codes(sub) is None
    assert await here.enrolment.status(sub) == (False, 0)


async def test_removing_the_app_forgets_it_and_its_recovery_codes(
    here: Node, sub: str, enrolled: Enrolled
) -> None:
    await here.enrolment.remove(sub)
    assert await here.enrolment.status(sub) == (False, 0)
    assert not await here.method.enrolled(sub)
    assert await here.sign_in(sub, code=enrolled.code(NOW)) == WRONG
    assert await here.sign_in(sub, recovery_code=enrolled.recovery_codes[0]) == WRONG


# -- signing in with a code --------------------------------------------------------------------


async def test_it_is_a_second_factor_with_its_own_partial(here: Node) -> None:
    assert here.method.id == "totp"
    assert here.method.factors == frozenset({Factor.SECOND})
    attempt = Attempt(flow_id="flow-1", sub="someone")
    assert await here.method.begin(attempt) == Prompt("methods/totp.html", {})


@pytest.mark.parametrize("steps_away", [-1, 0, 1])
async def test_codes_of_the_previous_current_and_next_step_are_accepted(
    here: Node, sub: str, enrolled: Enrolled, steps_away: int
) -> None:
    code = enrolled.code(NOW + steps_away * STEP)
    assert await here.sign_in(sub, code=code) == Verified(sub, ("otp",))


async def test_spaces_in_a_code_are_ignored(here: Node, sub: str, enrolled: Enrolled) -> None:
    code = enrolled.code(NOW)
    assert isinstance(await here.sign_in(sub, code=f" {code[:3]} {code[3:]} "), Verified)


@pytest.mark.parametrize("steps_away", [-2, 2])
async def test_codes_two_steps_away_are_refused(
    here: Node, sub: str, enrolled: Enrolled, steps_away: int
) -> None:
    assert await here.sign_in(sub, code=enrolled.code(NOW + steps_away * STEP)) == WRONG


async def test_a_code_is_accepted_once(here: Node, sub: str, enrolled: Enrolled) -> None:
    code = enrolled.code(NOW)
    assert isinstance(await here.sign_in(sub, code=code), Verified)
    assert await here.sign_in(sub, code=code) == WRONG


async def test_a_code_used_on_one_node_is_refused_on_another(
    here: Node, elsewhere: Node, sub: str, enrolled: Enrolled
) -> None:
    code = enrolled.code(NOW)
    assert isinstance(await here.sign_in(sub, code=code), Verified)
    assert await elsewhere.sign_in(sub, code=code) == WRONG


async def test_one_code_sent_to_two_nodes_at_once_passes_once(
    here: Node, elsewhere: Node, sub: str, enrolled: Enrolled
) -> None:
    code = enrolled.code(NOW)
    results = await asyncio.gather(here.sign_in(sub, code=code), elsewhere.sign_in(sub, code=code))
    assert sorted(isinstance(result, Verified) for result in results) == [False, True]


async def test_an_older_code_is_refused_after_a_newer_one(
    here: Node, sub: str, enrolled: Enrolled
) -> None:
    assert isinstance(await here.sign_in(sub, code=enrolled.code(NOW)), Verified)
    assert await here.sign_in(sub, code=enrolled.code(NOW - STEP)) == WRONG
    assert isinstance(await here.sign_in(sub, code=enrolled.code(NOW + STEP)), Verified)


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef"])
async def test_malformed_codes_are_refused(
    here: Node, sub: str, enrolled: Enrolled, typed: str
) -> None:
    assert await here.sign_in(sub, code=typed) == WRONG


async def test_another_accounts_code_is_refused(
    here: Node, sub: str, clock: Clock, enrolled: Enrolled
) -> None:
    other = await new_account(here, "grace@example.com")
    await enrol(here, other, clock)
    assert await here.sign_in(other, code=enrolled.code(NOW)) == WRONG


async def test_an_account_without_an_app_cannot_pass(here: Node, sub: str) -> None:
    await here.enrolment.start(sub, "ada@example.com")  # pending only, never confirmed
    assert await here.sign_in(sub, code="123456") == WRONG


async def test_nothing_is_checked_before_an_account_is_identified(
    here: Node, sub: str, enrolled: Enrolled
) -> None:
    result = await here.sign_in(None, code=enrolled.code(NOW))
    assert isinstance(result, Failed)
    assert isinstance(await here.sign_in(sub, code=enrolled.code(NOW)), Verified)


async def test_the_throttle_stops_guessing_even_with_the_right_code(
    here: Node, elsewhere: Node, sub: str, enrolled: Enrolled
) -> None:
    for guess in range(MAX_FAILURES):
        assert await here.sign_in(sub, code=f"{guess:06d}") == WRONG
    throttled = await elsewhere.sign_in(sub, code=enrolled.code(NOW))
    assert isinstance(throttled, Failed)
    assert "Too many attempts" in throttled.message
    assert await here.sign_in(sub, recovery_code=enrolled.recovery_codes[0]) == throttled


async def test_a_success_clears_the_count(here: Node, sub: str, enrolled: Enrolled) -> None:
    for _ in range(MAX_FAILURES - 1):
        await here.sign_in(sub, code="000000")
    assert isinstance(await here.sign_in(sub, code=enrolled.code(NOW)), Verified)
    for _ in range(MAX_FAILURES - 1):
        await here.sign_in(sub, code="000000")
    assert isinstance(await here.sign_in(sub, code=enrolled.code(NOW + STEP)), Verified)


# -- signing in with a recovery code -------------------------------------------------------------


async def test_a_recovery_code_works_once(here: Node, sub: str, enrolled: Enrolled) -> None:
    code = enrolled.recovery_codes[3]
    assert await here.sign_in(sub, recovery_code=code) == Verified(sub, ("otp",))
    assert await here.sign_in(sub, recovery_code=code) == WRONG
    assert await here.enrolment.status(sub) == (True, 9)


async def test_a_recovery_code_may_be_typed_loosely(
    here: Node, sub: str, enrolled: Enrolled
) -> None:
    typed = " " + enrolled.recovery_codes[0].upper().replace("-", " ") + " "
    assert isinstance(await here.sign_in(sub, recovery_code=typed), Verified)


async def test_parallel_uses_of_one_recovery_code_pass_exactly_once(
    here: Node, elsewhere: Node, sub: str, enrolled: Enrolled
) -> None:
    code = enrolled.recovery_codes[0]
    results = await asyncio.gather(
        *((here, elsewhere)[i % 2].sign_in(sub, recovery_code=code) for i in range(10))
    )
    assert sum(isinstance(result, Verified) for result in results) == 1


async def test_a_recovery_code_of_another_account_is_refused(
    here: Node, sub: str, clock: Clock, enrolled: Enrolled
) -> None:
    other = await new_account(here, "grace@example.com")
    await enrol(here, other, clock)
    assert await here.sign_in(other, recovery_code=enrolled.recovery_codes[0]) == WRONG
