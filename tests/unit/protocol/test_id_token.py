"""ID tokens (OpenID Connect Core §2, §3.1.3.6), verified the way a relying party would."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import UnsupportedAlgorithmError
from joserfc.jwk import KeySet

from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.crypto.keyring import KeyRing, RotationPolicy
from ciam_oidc.crypto.signing_keys import StoredKey, seal_new_key
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.tokens.id_token import IdTokenIssuer, token_hash

ISSUER = "https://id.example"
NOW = datetime(2026, 3, 29, 1, 30, 15, tzinfo=UTC)
TTL = 900
ALGS = ("RS256", "ES256", "Ed25519")
BOX = SecretBox(b"m" * 32, "signing-keys")
# Generated once: an RSA key takes a noticeable fraction of a second.
KEYS = [seal_new_key(alg, BOX, NOW - timedelta(days=1), NOW - timedelta(days=1)) for alg in ALGS]
AUTHENTICATION = Authentication(
    sub="248289761001",
    auth_time=NOW - timedelta(minutes=2, microseconds=500),
    acr="urn:ciam:acr:mfa",
    amr=("pwd", "otp"),
)


class MemoryKeyStore:
    def __init__(self, keys: Sequence[StoredKey]) -> None:
        self._keys = list(keys)

    async def list_keys(self) -> Sequence[StoredKey]:
        return self._keys

    async def add_keys(self, keys: Sequence[StoredKey], retire_current_at: datetime) -> None:
        raise AssertionError("the key ring must not need new keys")


@pytest.fixture
def keyring() -> KeyRing:
    policy = RotationPolicy(ALGS, timedelta(minutes=5), timedelta(hours=1), cache_seconds=0)
    return KeyRing(MemoryKeyStore(KEYS), BOX, policy, clock=lambda: NOW)


def a_client(alg: str = "RS256") -> Client:
    return Client(
        client_id="shop",
        name="Shop",
        redirect_uris=("https://shop.example/cb",),
        post_logout_redirect_uris=(),
        grant_types=("authorization_code",),
        response_types=("code",),
        scope="openid",
        token_endpoint_auth_method="client_secret_basic",
        secret_digest=None,
        created_at=NOW,
        id_token_signed_response_alg=alg,
    )


async def issue(keyring: KeyRing, client: Client | None = None, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "client": client or a_client(),
        "authentication": AUTHENTICATION,
        "now": NOW,
        "nonce": "n-0S6_WzA2Mj",
        "access_token": None,
        "session_id": None,
        "extra_claims": {},
    }
    return await IdTokenIssuer(keyring, ISSUER, TTL).issue(**(arguments | overrides))


async def verified(keyring: KeyRing, token: str, alg: str) -> jwt.Token:
    """Check the signature against the published JWKS, accepting only `alg`."""
    keys = KeySet.import_key_set(await keyring.jwks())  # type: ignore[arg-type]
    return jwt.decode(token, keys, algorithms=[alg])


def left_half_b64url(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


async def test_carries_the_core_claims_for_the_client_and_the_authentication(
    keyring: KeyRing,
) -> None:
    token = await verified(keyring, await issue(keyring, session_id="sid-1"), "RS256")
    iat = int(NOW.timestamp())
    assert token.claims == {
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": "shop",
        "azp": "shop",
        "iat": iat,
        "exp": iat + TTL,
        "auth_time": int(AUTHENTICATION.auth_time.timestamp()),
        "nonce": "n-0S6_WzA2Mj",
        "acr": "urn:ciam:acr:mfa",
        "amr": ["pwd", "otp"],
        "sid": "sid-1",
    }
    assert token.header.get("typ") in (None, "JWT")


async def test_nonce_sid_and_at_hash_are_absent_when_there_is_none(keyring: KeyRing) -> None:
    token = await verified(keyring, await issue(keyring, nonce=None), "RS256")
    assert not {"nonce", "sid", "at_hash"} & set(token.claims)


@pytest.mark.parametrize("alg", ALGS)
async def test_signed_with_the_algorithm_the_client_registered(keyring: KeyRing, alg: str) -> None:
    token = await verified(keyring, await issue(keyring, a_client(alg)), alg)
    assert token.header["alg"] == alg
    assert token.header["kid"] in {key.kid for key in KEYS if key.alg == alg}
    for other in set(ALGS) - {alg}:
        with pytest.raises(UnsupportedAlgorithmError):
            await verified(keyring, await issue(keyring, a_client(alg)), other)


@pytest.mark.parametrize(
    ("alg", "hash_function"),
    [("RS256", hashlib.sha256), ("ES256", hashlib.sha256), ("Ed25519", hashlib.sha512)],
)
async def test_at_hash_is_the_left_half_of_the_access_token_hash(
    keyring: KeyRing, alg: str, hash_function: Any
) -> None:
    """Core §3.1.3.6; Ed25519 signs with SHA-512, so its at_hash uses SHA-512."""
    access_token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"
    token = await verified(
        keyring, await issue(keyring, a_client(alg), access_token=access_token), alg
    )
    expected = left_half_b64url(hash_function(access_token.encode("ascii")).digest())
    assert token.claims["at_hash"] == expected
    assert len(expected) == (22 if alg != "Ed25519" else 43)


def test_at_hash_matches_the_example_in_core() -> None:
    """The access token and at_hash of OpenID Connect Core's Appendix A examples."""
    assert token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == (
        "77QmUPtjPfzWtF2AnpK9RQ"
    )


async def test_extra_claims_are_added_but_cannot_replace_core_claims(keyring: KeyRing) -> None:
    extra = {"email": "jane@example.com", "sub": "someone-else", "aud": "evil", "iss": "x"}
    token = await verified(keyring, await issue(keyring, extra_claims=extra), "RS256")
    assert token.claims["email"] == "jane@example.com"
    assert token.claims["sub"] == "248289761001"
    assert token.claims["aud"] == "shop"
    assert token.claims["iss"] == ISSUER


async def test_empty_acr_and_amr_are_left_out(keyring: KeyRing) -> None:
    bare = Authentication(sub="1", auth_time=NOW, acr="", amr=())
    token = await verified(keyring, await issue(keyring, authentication=bare), "RS256")
    assert "acr" not in token.claims
    assert "amr" not in token.claims
