"""The harness must catch what the suite catches: an ID token wrong in any checked way fails
its module, and a module's failure, skip or crash becomes one line, never a crashed run."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conformance.harness.idtoken import half_hash, verify_id_token
from conformance.harness.outcome import Failed, Module, check, skip
from joserfc import jwt
from joserfc.jwk import RSAKey

ISSUER = "https://id.example.com"
CLIENT = {"client_id": "shop", "id_token_signed_response_alg": "RS256"}
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})
JWKS = {"keys": [KEY.as_dict(private=False)]}
ACCESS_TOKEN, CODE = "an-access-token", "a-code"


def _token(key: RSAKey = KEY, kid: str = "k1", **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "shop",
        "exp": now + 300,
        "iat": now,
        "nonce": "n-1",
        "at_hash": half_hash(ACCESS_TOKEN, "RS256"),
        "c_hash": half_hash(CODE, "RS256"),
        **changes,
    }
    return jwt.encode({"alg": "RS256", "kid": kid}, {k: v for k, v in claims.items() if v}, key)


def _verify(token: str, nonce: str | None = "n-1") -> dict[str, Any]:
    return verify_id_token(
        token,
        issuer=ISSUER,
        jwks=JWKS,
        client=CLIENT,
        nonce=nonce,
        access_token=ACCESS_TOKEN,
        code=CODE,
        hashes_required=True,
    )


def test_a_correct_id_token_passes_every_check() -> None:
    assert _verify(_token())["sub"] == "alice"


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"iss": "https://evil.example"}, "iss"),
        ({"aud": "another-client"}, "aud"),
        ({"aud": ["shop", "other"]}, "azp"),
        ({"azp": "other"}, "azp"),
        ({"exp": int(time.time()) - 10}, "exp"),
        ({"iat": int(time.time()) + 3600}, "iat"),
        ({"nonce": "n-2"}, "nonce"),
        ({"at_hash": half_hash("another token", "RS256")}, "at_hash"),
        ({"c_hash": None}, "c_hash"),
        ({"auth_time": int(time.time()) + 3600}, "auth_time"),
    ],
)
def test_a_wrong_claim_fails_saying_which(changes: dict[str, Any], complaint: str) -> None:
    with pytest.raises(Failed, match=complaint):
        _verify(_token(**changes))


def test_a_nonce_never_sent_must_not_come_back() -> None:
    with pytest.raises(Failed, match="nonce"):
        _verify(_token(), nonce=None)


def test_a_key_the_jwks_does_not_publish_fails() -> None:
    with pytest.raises(Failed, match="kid"):
        _verify(_token(kid="unknown"))


def test_a_signature_by_another_key_fails() -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})
    with pytest.raises(Failed, match="signature"):
        _verify(_token(key=other))


async def _passes(_rp: Any) -> None:
    check(True, "never")


async def _fails(_rp: Any) -> None:
    check(False, "state not returned")


async def _skips(_rp: Any) -> None:
    skip("not advertised by this deployment")


async def _crashes(_rp: Any) -> None:
    raise KeyError("code")


class _Rp:
    plan = ""


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (_passes, "PASS   basic        oidcc-x"),
        (_fails, "FAIL   basic        oidcc-x: state not returned"),
        (_skips, "SKIP   basic        oidcc-x (not advertised by this deployment)"),
        (_crashes, "FAIL   basic        oidcc-x: KeyError: 'code'"),
    ],
)
async def test_every_module_ends_in_one_line(body: Any, line: str) -> None:
    outcome = await Module("basic", "oidcc-x", body).run(_Rp())  # type: ignore[arg-type]
    assert outcome.line("basic", "oidcc-x") == line
