"""The key ring's rotation rules, on the real key store of each backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from ciam_oidc.crypto.encryption import DecryptionError, SecretBox
from ciam_oidc.crypto.keyring import KeyRing, RotationPolicy
from ciam_oidc.crypto.signing_keys import generate_private_key
from ciam_oidc.store.database import Database
from ciam_oidc.store.keys import SqlKeyStore
from tests.support.clock import Clock

LEAD = timedelta(minutes=5)
RETIREMENT = timedelta(hours=1)
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def ring(
    database: Database, clock: Clock, cache_seconds: float = 0, master: bytes = b"m" * 32
) -> KeyRing:
    policy = RotationPolicy(("RS256", "ES256", "Ed25519"), LEAD, RETIREMENT, cache_seconds)
    return KeyRing(SqlKeyStore(database), SecretBox(master, "signing-keys"), policy, clock)


def sign(kid: str, key: object, alg: str) -> str:
    return jwt.encode({"alg": alg, "kid": kid}, {"sub": "alice"}, key, algorithms=[alg])


def verify(token: str, jwks: dict[str, object], alg: str) -> None:
    jwt.decode(token, KeySet.import_key_set(jwks), algorithms=[alg])  # type: ignore[arg-type]


async def test_bootstrap_gives_each_algorithm_a_key_that_signs_at_once(
    database: Database, clock: Clock
) -> None:
    keyring = ring(database, clock)
    created = await keyring.ensure_keys()
    assert sorted(key.alg for key in created) == ["ES256", "Ed25519", "RS256"]
    for alg in ("RS256", "ES256", "Ed25519"):
        kid, key = await keyring.signing_key(alg)
        verify(sign(kid, key, alg), await keyring.jwks(), alg)
    assert await keyring.ensure_keys() == []


async def test_jwks_publishes_public_members_only_with_unique_kids(
    database: Database, clock: Clock
) -> None:
    keyring = ring(database, clock)
    await keyring.ensure_keys()
    await keyring.rotate()
    keys = (await keyring.jwks())["keys"]
    assert len(keys) == 6
    assert len({key["kid"] for key in keys}) == 6
    for key in keys:
        assert key["use"] == "sig"
        assert key["alg"] in {"RS256", "ES256", "Ed25519"}
        assert not PRIVATE_MEMBERS & set(key)


async def test_rotated_key_is_published_before_it_signs(database: Database, clock: Clock) -> None:
    keyring = ring(database, clock)
    await keyring.ensure_keys()
    old_kid, _ = await keyring.signing_key("ES256")
    (new,) = await keyring.rotate(["ES256"])

    published = {key["kid"] for key in (await keyring.jwks())["keys"]}
    assert {old_kid, new.kid} <= published
    assert (await keyring.signing_key("ES256"))[0] == old_kid

    clock.now += LEAD
    assert (await keyring.signing_key("ES256"))[0] == new.kid


async def test_token_signed_before_rotation_verifies_until_it_expires(
    database: Database, clock: Clock
) -> None:
    keyring = ring(database, clock)
    await keyring.ensure_keys()
    old_kid, old_key = await keyring.signing_key("RS256")
    token = sign(old_kid, old_key, "RS256")
    await keyring.rotate(["RS256"])

    clock.now += LEAD + RETIREMENT - timedelta(seconds=1)
    verify(token, await keyring.jwks(), "RS256")

    clock.now += timedelta(seconds=1)
    published = {key["kid"] for key in (await keyring.jwks())["keys"]}
    assert old_kid not in published


async def test_rotating_one_algorithm_leaves_the_others_alone(
    database: Database, clock: Clock
) -> None:
    keyring = ring(database, clock)
    await keyring.ensure_keys()
    rs_kid, _ = await keyring.signing_key("RS256")
    await keyring.rotate(["ES256"])
    clock.now += LEAD + RETIREMENT
    assert (await keyring.signing_key("RS256"))[0] == rs_kid


async def test_another_node_sees_a_rotation_once_its_cache_expires(
    database: Database, clock: Clock
) -> None:
    this_node, other_node = ring(database, clock), ring(database, clock, cache_seconds=0.3)
    await this_node.ensure_keys()
    before = {key["kid"] for key in (await other_node.jwks())["keys"]}
    (new,) = await this_node.rotate(["Ed25519"])

    assert {key["kid"] for key in (await other_node.jwks())["keys"]} == before
    await asyncio.sleep(0.35)
    assert new.kid in {key["kid"] for key in (await other_node.jwks())["keys"]}


async def test_private_keys_are_stored_sealed_under_the_master_secret(
    database: Database, clock: Clock
) -> None:
    await ring(database, clock).ensure_keys()
    for stored in await SqlKeyStore(database).list_keys():
        assert b'"d"' not in stored.sealed_private_jwk
    with pytest.raises(DecryptionError):
        await ring(database, clock, master=b"x" * 32).signing_key("ES256")


async def test_a_token_from_a_foreign_key_with_a_known_kid_does_not_verify(
    database: Database, clock: Clock
) -> None:
    ours, theirs = ring(database, clock), ring(database, clock)
    await ours.ensure_keys()
    kid, _ = await ours.signing_key("ES256")
    forged = sign(kid, generate_private_key("ES256"), "ES256")
    with pytest.raises(BadSignatureError):
        verify(forged, await theirs.jwks(), "ES256")


async def test_operators_see_which_key_signs_and_which_waits_or_retires(
    database: Database, clock: Clock
) -> None:
    keyring = ring(database, clock)
    await keyring.ensure_keys()
    old_kid, _ = await keyring.signing_key("ES256")
    (new,) = await keyring.rotate(["ES256"])

    def es256_states() -> dict[str, str]:
        return {key.kid: state for key, state in states if key.alg == "ES256"}

    states = await keyring.states()
    assert es256_states() == {old_kid: "signing", new.kid: "pending"}
    clock.now += LEAD
    states = await keyring.states()
    assert es256_states() == {old_kid: "retiring", new.kid: "signing"}
    clock.now += RETIREMENT
    states = await keyring.states()
    assert es256_states() == {old_kid: "retired", new.kid: "signing"}
