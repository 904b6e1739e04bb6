"""Signing in with a passkey, alone or as the second factor, and every answer that must fail."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from ciam_oidc.authn.authenticators import Attempt, Factor, Failed, Verified
from ciam_oidc.authn.passkeys import CHALLENGE_LIFETIME
from tests.support.passkeys import MAX_FAILURES, ORIGIN, PasskeySetup, passkey_setup
from tests.support.soft_authenticator import SoftAuthenticator, b64url

NOT_ACCEPTED = Failed("That passkey could not be used. Try again, or use another way to sign in.")
START_AGAIN = Failed("This request has expired or was already used. Start again.")


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[PasskeySetup]:
    async with passkey_setup(database_url) as setup:
        yield setup


async def test_a_passkey_alone_signs_in_without_a_username_as_two_factors(
    setup: PasskeySetup,
) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    await setup.register(sub, device)
    prompt = await setup.method.begin(Attempt("flow-1", None))
    assert prompt.template == "methods/passkey.html"
    options = json.loads(prompt.context["options_json"])
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert prompt.pending is not None
    assert prompt.pending["challenge"] == options["challenge"]

    assert await setup.sign_in(device) == Verified(sub, ("hwk", "user", "mfa"))
    (passkey,) = await setup.passkeys.list(sub)
    assert passkey.sign_count == 1
    assert passkey.last_used_at == setup.clock()


async def test_a_synced_passkey_is_a_software_key(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator(backup_eligible=True, counts_signatures=False)
    await setup.register(sub, device)
    assert await setup.sign_in(device) == Verified(sub, ("swk", "user", "mfa"))
    # Without a counter (always 0) a passkey keeps working.
    assert await setup.sign_in(device) == Verified(sub, ("swk", "user", "mfa"))


async def test_as_a_second_factor_only_the_accounts_own_passkeys_count(
    setup: PasskeySetup,
) -> None:
    ada, eve = await setup.add_user("ada@example.com"), await setup.add_user("eve@example.com")
    adas, eves = SoftAuthenticator(), SoftAuthenticator()
    own = await setup.register(ada, adas)
    await setup.register(eve, eves)
    attempt, options = await setup.begin(ada)
    assert [item["id"] for item in json.loads(options)["allowCredentials"]] == [own.credential_id]

    discoverable = json.dumps({**json.loads(options), "allowCredentials": []})
    assert await setup.answer(attempt, eves.get(discoverable, ORIGIN)) == NOT_ACCEPTED
    # Presence is enough once the first factor is done.
    assert await setup.sign_in(adas, ada, user_verified=False) == Verified(ada, ("hwk", "user"))


async def test_alone_a_passkey_that_did_not_verify_the_user_is_refused(
    setup: PasskeySetup,
) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    await setup.register(sub, device)
    assert await setup.sign_in(device, user_verified=False) == NOT_ACCEPTED


@pytest.mark.parametrize(
    "knobs",
    [{"tamper": True}, {"origin": "https://evil.example"}, {"rp_id": "evil.example"}],
    ids=["bad-signature", "another-origin", "another-rp-id"],
)
async def test_an_answer_that_does_not_verify_is_refused_and_changes_nothing(
    setup: PasskeySetup, knobs: dict[str, Any]
) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    await setup.register(sub, device)
    assert await setup.sign_in(device, **knobs) == NOT_ACCEPTED
    (passkey,) = await setup.passkeys.list(sub)
    assert (passkey.sign_count, passkey.last_used_at) == (0, None)


@pytest.mark.parametrize("replayed_count", [2, 1])
async def test_a_counter_that_did_not_move_forward_is_refused_and_not_stored(
    setup: PasskeySetup, replayed_count: int
) -> None:
    """A clone of the authenticator signs with a counter the original already used."""
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    await setup.register(sub, device)
    await setup.sign_in(device)
    await setup.sign_in(device)
    assert await setup.sign_in(device, sign_count=replayed_count) == NOT_ACCEPTED
    (passkey,) = await setup.passkeys.list(sub)
    assert passkey.sign_count == 2


async def test_a_challenge_works_once(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    await setup.register(sub, device)
    attempt, options = await setup.begin()
    assert isinstance(await setup.answer(attempt, device.get(options, ORIGIN)), Verified)
    assert await setup.answer(attempt, device.get(options, ORIGIN)) == START_AGAIN


async def test_a_challenge_expires(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    await setup.register(sub, device)
    attempt, options = await setup.begin()
    setup.clock.advance(CHALLENGE_LIFETIME)
    assert await setup.answer(attempt, device.get(options, ORIGIN)) == START_AGAIN


async def test_without_a_pending_challenge_the_person_starts_again(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    await setup.register(sub, device)
    attempt, options = await setup.begin()
    answer = device.get(options, ORIGIN)
    assert await setup.answer(replace(attempt, pending={}), answer) == Failed(
        "This sign-in request has expired. Start again."
    )


async def test_a_user_handle_naming_another_account_is_refused(setup: PasskeySetup) -> None:
    ada, eve = await setup.add_user("ada@example.com"), await setup.add_user("eve@example.com")
    device = SoftAuthenticator()
    await setup.register(ada, device)
    attempt, options = await setup.begin()
    answer = device.get(options, ORIGIN)
    # The user handle is not signed: the relying party must compare it with the owner.
    answer["response"]["userHandle"] = b64url(eve.encode())
    assert await setup.answer(attempt, answer) == NOT_ACCEPTED


async def test_an_unregistered_passkey_is_refused(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    stranger = SoftAuthenticator()
    stranger.create(await setup.passkeys.registration_options(sub, "ada", "Ada"), ORIGIN)
    assert await setup.sign_in(stranger) == NOT_ACCEPTED


@pytest.mark.parametrize("credential", ["", "{", '{"id": 1}'])
async def test_an_unreadable_answer_is_refused(setup: PasskeySetup, credential: str) -> None:
    attempt, _ = await setup.begin()
    assert await setup.method.verify(attempt, {"credential": credential}) == Failed(
        "The passkey's answer could not be read. Try again."
    )


async def test_failures_with_one_passkey_are_limited(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    await setup.register(sub, device)
    for _ in range(MAX_FAILURES):
        assert await setup.sign_in(device, tamper=True) == NOT_ACCEPTED
    assert await setup.sign_in(device) == Failed("Too many attempts. Try again in 15 minutes.")


async def test_a_method_for_both_factors_enrolled_once_a_passkey_exists(
    setup: PasskeySetup,
) -> None:
    sub = await setup.add_user("ada@example.com")
    assert setup.method.id == "passkey"
    assert setup.method.factors == {Factor.FIRST, Factor.SECOND}
    assert await setup.method.enrolled(sub) is False
    await setup.register(sub, SoftAuthenticator())
    assert await setup.method.enrolled(sub) is True


async def test_showing_the_page_again_offers_the_same_live_challenge_and_keeps_nothing_new(
    setup: PasskeySetup,
) -> None:
    """A reload or a wrong password re-renders the page: no new challenge, no flow write, while
    the kept one has at least half its lifetime left; after that a fresh one is issued."""
    first = await setup.method.begin(Attempt("flow-1", None))
    assert first.pending is not None
    again = await setup.method.begin(Attempt("flow-1", None, pending=first.pending))
    assert again.pending is None
    assert json.loads(again.context["options_json"])["challenge"] == first.pending["challenge"]
    setup.clock.advance(timedelta(minutes=3))  # of five: less than half left
    later = await setup.method.begin(Attempt("flow-1", None, pending=first.pending))
    assert later.pending is not None
    assert later.pending["challenge"] != first.pending["challenge"]
