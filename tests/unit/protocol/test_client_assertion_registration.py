"""Registration rules for the JWT assertion methods: `private_key_jwt` clients register public
keys only; `client_secret_jwt` clients get a secret sealed for HMAC (OpenID Connect Core §9)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from ciam_oidc.crypto.encryption import DecryptionError, SecretBox
from ciam_oidc.crypto.secrets import secret_matches
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.protocol.errors import InvalidClientMetadata

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BOX = SecretBox(b"m" * 32, "client-secrets")
EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})


def machine(method: str, jwks: Any = None) -> ClientRequest:
    return ClientRequest(
        name="Payroll job",
        grant_types=("client_credentials",),
        token_endpoint_auth_method=method,
        jwks=jwks,
    )


def key_set(*jwks: dict[str, Any]) -> dict[str, Any]:
    return {"keys": list(jwks)}


def _b64url_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def weak_rsa_jwk() -> dict[str, Any]:
    """A 1024-bit RSA public JWK, built by hand: joserfc warns on making one."""
    numbers = rsa.generate_private_key(65537, 1024).public_key().public_numbers()  # noqa: S505
    return {"kty": "RSA", "n": _b64url_int(numbers.n), "e": _b64url_int(numbers.e)}


def test_private_key_jwt_client_stores_its_public_keys_and_gets_no_secret() -> None:
    jwks = key_set(EC_KEY.as_dict(private=False), RSA_KEY.as_dict(private=False))
    client, secret = register_client(machine("private_key_jwt", jwks), NOW)
    assert secret is None
    assert client.secret_digest is None
    assert client.sealed_secret is None
    assert client.jwks == jwks
    assert client.token_endpoint_auth_method != "none"


@pytest.mark.parametrize(
    "jwk",
    [
        EC_KEY.as_dict(private=True),
        RSA_KEY.as_dict(private=True),
        OKPKey.generate_key("Ed25519").as_dict(private=True),
        {**RSA_KEY.as_dict(private=False), "p": RSA_KEY.as_dict(private=True)["p"]},
        OctKey.generate_key(256).as_dict(private=True),
    ],
    ids=["EC private", "RSA private", "Ed25519 private", "RSA with one prime", "oct"],
)
def test_a_key_set_holding_private_key_material_is_refused(jwk: dict[str, Any]) -> None:
    with pytest.raises(InvalidClientMetadata, match="public keys only"):
        register_client(machine("private_key_jwt", key_set(jwk)), NOW)


@pytest.mark.parametrize(
    "jwks",
    [
        None,
        {},
        {"keys": []},
        {"keys": "not a list"},
        ["not", "a", "set"],
        key_set(*[EC_KEY.as_dict(private=False)] * 2),  # the same kid twice
        key_set(*[{**EC_KEY.as_dict(private=False), "kid": f"k{n}"} for n in range(11)]),
        key_set(weak_rsa_jwk()),
        key_set(ECKey.generate_key("P-384").as_dict(private=False)),
        key_set(OKPKey.generate_key("X25519").as_dict(private=False)),
        key_set({**EC_KEY.as_dict(private=False), "use": "enc"}),
        key_set({**EC_KEY.as_dict(private=False), "alg": "RS256"}),
        key_set({**EC_KEY.as_dict(private=False), "x": "AAAA"}),
        key_set({"kty": "EC", "crv": "P-256"}),
        key_set({"kty": ["RSA"]}),
    ],
    ids=[
        "missing",
        "no keys member",
        "empty",
        "keys not a list",
        "not an object",
        "duplicate kid",
        "too many keys",
        "RSA under 2048 bits",
        "EC P-384",
        "X25519",
        "encryption key",
        "alg of another key type",
        "point not on the curve",
        "EC without coordinates",
        "kty not a string",
    ],
)
def test_an_unusable_key_set_is_refused(jwks: Any) -> None:
    with pytest.raises(InvalidClientMetadata):
        register_client(machine("private_key_jwt", jwks), NOW)


def test_jwks_belong_to_private_key_jwt_only() -> None:
    jwks = key_set(EC_KEY.as_dict(private=False))
    with pytest.raises(InvalidClientMetadata, match="only used with private_key_jwt"):
        register_client(machine("client_secret_basic", jwks), NOW)


def test_client_secret_jwt_secret_is_long_enough_for_hs512_and_sealed_to_the_client() -> None:
    """RFC 7518 §3.2: HS512 needs a key of at least 512 bits."""
    client, secret = register_client(machine("client_secret_jwt"), NOW, secret_box=BOX)
    assert secret is not None
    assert len(secret.encode()) * 8 >= 512
    assert client.secret_digest is not None
    assert secret_matches(secret, client.secret_digest)
    assert client.sealed_secret is not None
    assert secret.encode() not in client.sealed_secret
    assert BOX.open(client.sealed_secret, client.client_id) == secret.encode()
    with pytest.raises(DecryptionError):
        BOX.open(client.sealed_secret, "another-client")
    assert "sealed_secret" not in repr(client)


def test_client_secret_jwt_cannot_be_registered_without_the_sealing_box() -> None:
    with pytest.raises(ValueError, match="seals client secrets"):
        register_client(machine("client_secret_jwt"), NOW)


def test_other_methods_store_no_sealed_secret() -> None:
    client, secret = register_client(machine("client_secret_basic"), NOW, secret_box=BOX)
    assert secret is not None
    assert client.sealed_secret is None
