"""What makes an access token acceptable (RFC 9068 §4), checked without a database."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.crypto.keyring import KeyRing, RotationPolicy
from ciam_oidc.crypto.signing_keys import StoredKey, generate_private_key
from ciam_oidc.protocol.errors import InvalidToken
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer
from ciam_oidc.protocol.tokens.access_token_verifier import (
    LEEWAY,
    AccessTokenVerifier,
    VerifiedAccessToken,
)
from tests.support.clock import Clock

ISSUER = "https://id.example.com"
TTL = 600
START = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
ALGS = ("RS256", "ES256", "Ed25519")


class MemoryKeyStore:
    def __init__(self) -> None:
        self.keys: list[StoredKey] = []

    async def list_keys(self) -> Sequence[StoredKey]:
        return list(self.keys)

    async def add_keys(self, keys: Sequence[StoredKey], retire_current_at: datetime) -> None:
        self.keys.extend(keys)


class MemoryGrants:
    def __init__(self) -> None:
        self.revoked: set[str] = set()

    async def create_grant(self, grant_id: str, client_id: str, sub: str, now: datetime) -> None:
        pass

    async def revoke_grant(self, grant_id: str, now: datetime) -> None:
        self.revoked.add(grant_id)

    async def grant_is_active(self, grant_id: str) -> bool:
        return grant_id not in self.revoked


class MemoryRevocations:
    def __init__(self) -> None:
        self.revoked: dict[str, datetime] = {}

    async def revoke_access_token(self, jti: str, expires_at: datetime) -> None:
        self.revoked[jti] = expires_at

    async def is_revoked(self, jti: str) -> bool:
        return jti in self.revoked


class Setup:
    def __init__(self, keyring: KeyRing, clock: Clock) -> None:
        self.keyring = keyring
        self.clock = clock
        self.grants = MemoryGrants()
        self.revocations = MemoryRevocations()
        self.verifier = AccessTokenVerifier(keyring, ISSUER, self.grants, self.revocations, clock)

    async def issue(self, alg: str = "ES256", **changes: Any) -> str:
        issuer = AccessTokenIssuer(self.keyring, changes.pop("issuer", ISSUER), alg, TTL)
        values: dict[str, Any] = {
            "sub": "alice",
            "client_id": "shop",
            "scope": ("openid", "email"),
            "now": self.clock(),
            "grant_id": "grant-1",
            **changes,
        }
        issued = await issuer.issue(**values)
        return issued.token

    async def sign(self, claims: dict[str, Any], typ: str | None = "at+jwt") -> str:
        return await self.keyring.sign(claims, "ES256", typ=typ)

    def claims(self, **changes: Any) -> dict[str, Any]:
        issued_at = int(self.clock().timestamp())
        return {
            "iss": ISSUER,
            "sub": "alice",
            "aud": ISSUER,
            "client_id": "shop",
            "iat": issued_at,
            "exp": issued_at + TTL,
            "jti": "jti-1",
            "scope": "openid",
            **changes,
        }


@pytest.fixture
async def setup() -> Setup:
    clock = Clock(START)
    policy = RotationPolicy(ALGS, timedelta(minutes=5), timedelta(hours=1), cache_seconds=0)
    keyring = KeyRing(MemoryKeyStore(), SecretBox(b"m" * 32, "signing-keys"), policy, clock)
    await keyring.ensure_keys()
    return Setup(keyring, clock)


async def refused(setup: Setup, token: str) -> str:
    with pytest.raises(InvalidToken) as raised:
        await setup.verifier.verify(token)
    assert raised.value.status_code == 401
    assert raised.value.error == "invalid_token"
    return raised.value.description


@pytest.mark.parametrize("alg", ALGS)
async def test_a_token_we_issued_verifies_with_its_claims(setup: Setup, alg: str) -> None:
    """Whatever algorithm signed it: a change of `access_token_signing_alg` must not break
    the tokens already out."""
    verified = await setup.verifier.verify(await setup.issue(alg))
    assert verified == VerifiedAccessToken(
        issuer=ISSUER,
        sub="alice",
        account="alice",
        client_id="shop",
        audience=(ISSUER,),
        scope=("openid", "email"),
        issued_at=int(START.timestamp()),
        expires_at=int(START.timestamp()) + TTL,
        jti=verified.jti,
        grant_id="grant-1",
        claims=verified.claims,
    )


async def test_a_token_without_a_grant_is_a_machine_s_and_verifies(setup: Setup) -> None:
    verified = await setup.verifier.verify(await setup.issue(grant_id=None))
    assert verified.grant_id is None


async def test_expiry_allows_a_small_leeway_and_no_more(setup: Setup) -> None:
    token = await setup.issue()
    setup.clock.now = START + timedelta(seconds=TTL) + LEEWAY - timedelta(seconds=1)
    await setup.verifier.verify(token)
    setup.clock.now += timedelta(seconds=1)
    assert "expired" in await refused(setup, token)
    assert LEEWAY.total_seconds() <= 30  # RFC 7519 §4.1.4: "small"


async def test_an_expired_token_is_still_recognised_as_ours_for_revocation(setup: Setup) -> None:
    token = await setup.issue()
    setup.clock.now = START + timedelta(days=1)
    verified = await setup.verifier.verify_signature(token)
    assert verified.accepted_until == START + timedelta(seconds=TTL) + LEEWAY


async def test_revocation_is_seen_at_once_nothing_is_cached(setup: Setup) -> None:
    token = await setup.issue()
    verified = await setup.verifier.verify(token)
    await setup.revocations.revoke_access_token(verified.jti, verified.accepted_until)
    assert "revoked" in await refused(setup, token)


async def test_a_token_of_a_revoked_grant_is_refused(setup: Setup) -> None:
    token = await setup.issue()
    await setup.verifier.verify(token)
    await setup.grants.revoke_grant("grant-1", START)
    assert "authorization" in await refused(setup, token)


@pytest.mark.parametrize("typ", [None, "JWT", "id_token+jwt", "at+jwt;x"])
async def test_a_jwt_of_another_type_is_not_an_access_token(setup: Setup, typ: str | None) -> None:
    """RFC 9068 §4: an ID token, signed by the same keys, carries no `at+jwt` type."""
    token = await setup.sign(setup.claims(), typ=typ)
    await refused(setup, token)
    with pytest.raises(InvalidToken):
        await setup.verifier.verify_signature(token)


@pytest.mark.parametrize("typ", ["application/at+jwt", "AT+JWT"])
async def test_the_full_media_type_and_any_case_are_accepted(setup: Setup, typ: str) -> None:
    await setup.verifier.verify(await setup.sign(setup.claims(), typ=typ))


async def test_a_token_of_another_issuer_is_refused(setup: Setup) -> None:
    await refused(setup, await setup.issue(issuer="https://evil.example"))
    with pytest.raises(InvalidToken):
        await setup.verifier.verify_signature(await setup.issue(issuer=ISSUER + "/"))


async def test_a_token_for_another_audience_is_refused(setup: Setup) -> None:
    await refused(setup, await setup.sign(setup.claims(aud="https://api.example")))


async def test_an_audience_list_that_includes_us_is_accepted(setup: Setup) -> None:
    token = await setup.sign(setup.claims(aud=["https://api.example", ISSUER]))
    assert (await setup.verifier.verify(token)).audience == ("https://api.example", ISSUER)


@pytest.mark.parametrize("missing", ["sub", "client_id", "jti", "iat", "exp", "aud"])
async def test_a_required_claim_missing_is_refused(setup: Setup, missing: str) -> None:
    """RFC 9068 §2.2."""
    claims = setup.claims()
    del claims[missing]
    await refused(setup, await setup.sign(claims))


@pytest.mark.parametrize(
    "changes",
    [{"exp": "tomorrow"}, {"exp": True}, {"aud": [ISSUER, 7]}, {"scope": ["openid"]}, {"gid": 3}],
)
async def test_a_malformed_claim_is_refused(setup: Setup, changes: dict[str, Any]) -> None:
    await refused(setup, await setup.sign(setup.claims(**changes)))


async def test_a_token_signed_by_a_key_we_do_not_publish_is_refused(setup: Setup) -> None:
    """Even with a kid we publish: the signature is checked against our key."""
    ours = await setup.keyring.signing_key("ES256")
    stranger = generate_private_key("ES256")
    header = {"alg": "ES256", "kid": ours[0], "typ": "at+jwt"}
    token = jwt.encode(header, setup.claims(), stranger, algorithms=["ES256"])
    await refused(setup, token)


async def test_a_token_whose_key_is_no_longer_published_is_refused(setup: Setup) -> None:
    token = await setup.issue()
    assert isinstance(setup.keyring._store, MemoryKeyStore)
    setup.keyring._store.keys = [key for key in setup.keyring._store.keys if key.alg != "ES256"]
    await refused(setup, token)


async def test_a_tampered_payload_is_refused(setup: Setup) -> None:
    header, payload, signature = (await setup.issue()).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "openid email admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    await refused(setup, f"{header}.{forged}.{signature}")


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


async def test_alg_none_and_hmac_with_a_public_key_are_refused(setup: Setup) -> None:
    kid, _ = await setup.keyring.signing_key("ES256")
    await refused(setup, _unsigned({"alg": "none", "typ": "at+jwt"}, setup.claims()))
    # The classic confusion: an HMAC "signed" with the published key as its secret.
    public = json.dumps((await setup.keyring.jwks())["keys"][0]).encode()
    header = {"alg": "HS256", "kid": kid, "typ": "at+jwt"}
    forged = jwt.encode(header, setup.claims(), OctKey.import_key(public), algorithms=["HS256"])
    await refused(setup, forged)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "a.b", "....", "é.é.é"])
async def test_garbage_is_refused(setup: Setup, token: str) -> None:
    await refused(setup, token)
