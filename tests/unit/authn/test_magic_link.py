"""Magic links: one answer for every address, mail only for accounts, links that work once."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text, update

from ciam_oidc.authn.authenticators import Attempt, Factor, Failed, Prompt, Verified, Waiting
from ciam_oidc.crypto.secrets import new_secret
from ciam_oidc.store.database import Database
from ciam_oidc.store.mail_links import MagicLinkRow
from ciam_oidc.store.users import UserRow
from tests.support.magic_links import (
    DEVICE,
    FLOW,
    ISSUER,
    MAX_REQUESTS,
    TTL,
    MagicLinks,
    authenticator,
    magic_links,
)

SENT = Waiting(
    "If an account exists for that address, we have sent it a sign-in link. "
    "It works once, for 10 minutes."
)
EXPIRED = Failed("This sign-in link has expired or was already used. Ask for a new one.")


@pytest.fixture
async def links(database_url: str) -> AsyncIterator[MagicLinks]:
    async with magic_links(database_url) as links:
        yield links


async def test_known_and_unknown_addresses_get_the_same_answer_and_only_known_get_mail(
    links: MagicLinks,
) -> None:
    await links.add_user("ada@example.com")
    assert await links.ask("nobody@example.com") == SENT
    assert await links.ask(" Ada@Example.com ") == SENT
    kept = await links.mailbox.list()
    assert [message.to for message in kept] == ["ada@example.com"]


async def test_the_mail_holds_a_link_to_the_issuer_and_says_how_long_it_works(
    links: MagicLinks,
) -> None:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    (message,) = await links.mailbox.list()
    token = await links.latest_token()
    assert f"{ISSUER}/login/link?token={token}" in message.text
    assert "10 minutes" in message.text
    assert "did not ask" in message.text
    assert message.subject == "Your sign-in link for ciam-oidc"


async def test_disabled_accounts_get_no_mail(links: MagicLinks) -> None:
    await links.add_user("gone@example.com", disabled=True)
    assert await links.ask("gone@example.com") == SENT
    assert await links.mailbox.list() == []


async def test_something_that_is_not_an_address_is_refused(links: MagicLinks) -> None:
    assert await links.ask("not an address") == Failed("Enter a valid email address.")


async def test_requests_beyond_the_limit_answer_the_same_but_send_nothing(
    links: MagicLinks,
) -> None:
    await links.add_user("ada@example.com")
    answers = [await links.ask("ada@example.com") for _ in range(MAX_REQUESTS + 2)]
    assert answers == [SENT] * (MAX_REQUESTS + 2)
    assert len(await links.mailbox.list()) == MAX_REQUESTS


async def test_signing_in_with_a_link_lifts_the_limit_on_requests(links: MagicLinks) -> None:
    await links.add_user("ada@example.com")
    for _ in range(MAX_REQUESTS):
        await links.ask("ada@example.com")
    assert isinstance(await links.redeem(await links.latest_token()), Verified)
    await links.ask("ada@example.com")
    assert len(await links.mailbox.list()) == MAX_REQUESTS + 1


async def test_a_link_signs_in_once(links: MagicLinks) -> None:
    user = await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    token = await links.latest_token()
    assert await links.redeem(token) == Verified(sub=user.sub, amr=("email",))
    assert await links.redeem(token) == EXPIRED


async def test_parallel_redemptions_on_two_nodes_let_exactly_one_through(
    links: MagicLinks, database_url: str
) -> None:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    token = await links.latest_token()
    other_node = Database(database_url)
    try:
        nodes = [links.method, authenticator(other_node, links.outbox, links.clock)]
        results = await asyncio.gather(
            *(
                nodes[i % 2].verify(Attempt(FLOW, None, device=DEVICE), {"token": token})
                for i in range(10)
            )
        )
    finally:
        await other_node.dispose()
    assert sum(isinstance(result, Verified) for result in results) == 1
    assert results.count(EXPIRED) == 9


async def test_an_expired_link_fails(links: MagicLinks) -> None:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    token = await links.latest_token()
    links.clock.advance(TTL)
    assert await links.method.inspect(token, DEVICE) is None
    assert await links.redeem(token) == EXPIRED


async def test_a_link_fails_for_another_flow_and_stays_good_for_its_own(
    links: MagicLinks,
) -> None:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    token = await links.latest_token()
    assert await links.redeem(token, flow_id="flow-2") == EXPIRED
    assert isinstance(await links.redeem(token), Verified)


async def test_only_the_account_a_flow_identified_may_pass(links: MagicLinks) -> None:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    attempt = Attempt(FLOW, "someone-else", device=DEVICE)
    assert await links.method.verify(attempt, {"token": await links.latest_token()}) == EXPIRED


async def test_an_account_disabled_after_the_mail_cannot_use_the_link(links: MagicLinks) -> None:
    user = await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    async with links.database.sessions.begin() as session:
        await session.execute(update(UserRow).where(UserRow.sub == user.sub).values(disabled=True))
    assert await links.redeem(await links.latest_token()) == EXPIRED


async def test_a_made_up_token_fails(links: MagicLinks) -> None:
    assert await links.redeem(new_secret()) == EXPIRED
    assert await links.method.inspect(new_secret(), DEVICE) is None


async def test_inspect_tells_the_requesting_browser_from_others_and_spends_nothing(
    links: MagicLinks,
) -> None:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    token = await links.latest_token()
    same = await links.method.inspect(token, DEVICE)
    other = await links.method.inspect(token, new_secret())
    without_cookie = await links.method.inspect(token, "")
    assert same is not None
    assert (same.flow_id, same.same_device) == (FLOW, True)
    assert other is not None
    assert not other.same_device
    assert without_cookie is not None
    assert not without_cookie.same_device
    assert isinstance(await links.redeem(token), Verified)
    assert await links.method.inspect(token, DEVICE) is None


async def test_a_link_asked_for_without_a_device_cookie_matches_no_browser(
    links: MagicLinks,
) -> None:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com", device="")
    info = await links.method.inspect(await links.latest_token(), "")
    assert info is not None
    assert not info.same_device


async def test_only_digests_are_stored(links: MagicLinks) -> None:
    await links.add_user("ada@example.com")
    await links.ask("ada@example.com")
    token = await links.latest_token()
    async with links.database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM magic_links"))).all()
    (row,) = rows
    assert not any(token in str(value) or DEVICE in str(value) for value in row)
    async with links.database.sessions() as session:
        stored = await session.scalar(select(MagicLinkRow))
    assert stored is not None
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
    assert stored.device_digest == hashlib.sha256(DEVICE.encode()).hexdigest()


async def test_the_prompt_offers_the_address_hint(links: MagicLinks) -> None:
    prompt = await links.method.begin(Attempt(FLOW, None, login_hint="ada@example.com"))
    assert prompt == Prompt("methods/magic_link.html", {"email": "ada@example.com"})


async def test_it_only_starts_a_sign_in_and_is_never_a_second_factor(links: MagicLinks) -> None:
    user = await links.add_user("ada@example.com")
    assert links.method.factors == frozenset({Factor.FIRST})
    assert not await links.method.enrolled(user.sub)
