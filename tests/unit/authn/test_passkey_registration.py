"""Adding and managing passkeys: discoverable, user-verifying, one account each, single-use
challenges that expire, and only the owner renames or removes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from ciam_oidc.authn.passkeys import CHALLENGE_LIFETIME, PasskeyRejected
from tests.support.passkeys import ORIGIN, PasskeySetup, passkey_setup
from tests.support.soft_authenticator import SoftAuthenticator, b64url, from_b64url

START_AGAIN = "This request has expired or was already used. Start again."
NOT_VERIFIED = "The passkey could not be verified. Try again."


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[PasskeySetup]:
    async with passkey_setup(database_url) as setup:
        yield setup


async def test_options_ask_for_a_discoverable_verifying_passkey_named_by_an_opaque_handle(
    setup: PasskeySetup,
) -> None:
    sub = await setup.add_user("ada@example.com")
    options = json.loads(await setup.passkeys.registration_options(sub, "ada@example.com", "Ada"))
    assert options["rp"]["id"] == "localhost"
    assert options["user"] == {
        "id": b64url(sub.encode()),
        "name": "ada@example.com",
        "displayName": "Ada",
    }
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == []


async def test_a_registered_passkey_is_listed_and_excluded_from_the_next_registration(
    setup: PasskeySetup,
) -> None:
    sub = await setup.add_user("ada@example.com")
    device = SoftAuthenticator()
    passkey = await setup.register(sub, device, "Laptop")
    assert passkey.name == "Laptop"
    assert passkey.sign_count == 0
    assert passkey.backup_eligible is False
    assert passkey.transports == ("internal", "hybrid")
    assert passkey.last_used_at is None
    assert await setup.passkeys.list(sub) == [passkey]
    options = json.loads(await setup.passkeys.registration_options(sub, "ada", "Ada"))
    assert [item["id"] for item in options["excludeCredentials"]] == [passkey.credential_id]
    with pytest.raises(ValueError, match="InvalidStateError"):
        device.create(json.dumps(options), ORIGIN)


async def test_a_passkey_without_a_name_is_named_after_its_day(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    passkey = await setup.register(sub, SoftAuthenticator(backup_eligible=True), "   ")
    assert passkey.name == "Passkey created 2026-03-29"
    assert passkey.backup_eligible is True


async def test_a_registration_challenge_works_once(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    options = await setup.passkeys.registration_options(sub, "ada", "Ada")
    answer = json.dumps(SoftAuthenticator().create(options, ORIGIN))
    await setup.passkeys.register(sub, answer)
    other = json.dumps(SoftAuthenticator().create(options, ORIGIN))
    with pytest.raises(PasskeyRejected, match=START_AGAIN):
        await setup.passkeys.register(sub, other)
    assert len(await setup.passkeys.list(sub)) == 1


async def test_a_registration_challenge_expires(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    options = await setup.passkeys.registration_options(sub, "ada", "Ada")
    setup.clock.advance(CHALLENGE_LIFETIME)
    with pytest.raises(PasskeyRejected, match=START_AGAIN):
        await setup.passkeys.register(sub, json.dumps(SoftAuthenticator().create(options, ORIGIN)))
    assert await setup.passkeys.list(sub) == []


async def test_a_registration_challenge_is_for_its_own_account_only(setup: PasskeySetup) -> None:
    ada = await setup.add_user("ada@example.com")
    eve = await setup.add_user("eve@example.com")
    options = await setup.passkeys.registration_options(ada, "ada", "Ada")
    with pytest.raises(PasskeyRejected, match=START_AGAIN):
        await setup.passkeys.register(eve, json.dumps(SoftAuthenticator().create(options, ORIGIN)))
    assert await setup.passkeys.list(eve) == []


async def test_a_credential_id_registered_to_anyone_is_refused(setup: PasskeySetup) -> None:
    ada = await setup.add_user("ada@example.com")
    eve = await setup.add_user("eve@example.com")
    taken = await setup.register(ada, SoftAuthenticator())
    options = await setup.passkeys.registration_options(eve, "eve", "Eve")
    copy = SoftAuthenticator().create(
        options, ORIGIN, credential_id=from_b64url(taken.credential_id)
    )
    with pytest.raises(PasskeyRejected, match="already registered"):
        await setup.passkeys.register(eve, json.dumps(copy))
    assert await setup.passkeys.list(eve) == []
    assert await setup.passkeys.list(ada) == [taken]


@pytest.mark.parametrize(
    ("origin", "knobs"),
    [
        ("https://evil.example", {}),
        (ORIGIN, {"rp_id": "evil.example"}),
        (ORIGIN, {"user_verified": False}),
    ],
    ids=["another-origin", "another-rp-id", "no-user-verification"],
)
async def test_a_registration_the_relying_party_cannot_trust_is_refused(
    setup: PasskeySetup, origin: str, knobs: dict[str, object]
) -> None:
    sub = await setup.add_user("ada@example.com")
    options = await setup.passkeys.registration_options(sub, "ada", "Ada")
    answer = SoftAuthenticator().create(options, origin, **knobs)
    with pytest.raises(PasskeyRejected, match=NOT_VERIFIED):
        await setup.passkeys.register(sub, json.dumps(answer))
    assert await setup.passkeys.list(sub) == []


@pytest.mark.parametrize("answer", ["", "not json", "{}", '{"id": "x", "rawId": "x"}'])
async def test_an_unreadable_answer_is_refused(setup: PasskeySetup, answer: str) -> None:
    sub = await setup.add_user("ada@example.com")
    with pytest.raises(PasskeyRejected, match="could not be read"):
        await setup.passkeys.register(sub, answer)


async def test_only_the_owner_renames_or_removes_a_passkey(setup: PasskeySetup) -> None:
    ada = await setup.add_user("ada@example.com")
    eve = await setup.add_user("eve@example.com")
    passkey = await setup.register(ada, SoftAuthenticator(), "Laptop")
    assert await setup.passkeys.rename(eve, passkey.credential_id, "Mine now") is False
    assert await setup.passkeys.remove(eve, passkey.credential_id) is False
    assert [p.name for p in await setup.passkeys.list(ada)] == ["Laptop"]

    assert await setup.passkeys.rename(ada, passkey.credential_id, "  Work\tlaptop ") is True
    assert [p.name for p in await setup.passkeys.list(ada)] == ["Work laptop"]
    assert await setup.passkeys.remove(ada, passkey.credential_id) is True
    assert await setup.passkeys.list(ada) == []


async def test_a_blank_name_is_refused(setup: PasskeySetup) -> None:
    sub = await setup.add_user("ada@example.com")
    passkey = await setup.register(sub, SoftAuthenticator(), "Laptop")
    with pytest.raises(PasskeyRejected, match="Give the passkey a name"):
        await setup.passkeys.rename(sub, passkey.credential_id, " ")
