"""Apple's signed client secret and its one-time `user` field."""

from __future__ import annotations

import json
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.federation.apple import name_from_user_field, signed_client_secret
from ciam_oidc.federation.presets import configure


def test_client_secret_is_a_short_lived_es256_jwt_apple_can_verify() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = utc_now().replace(microsecond=0)
    upstream = configure(
        "apple",
        id="apple",
        client_id="com.example.signin",
        private_key=private_pem,
        options={"team_id": "TEAM123456", "key_id": "KEY1234567"},
        now=now,
    )

    token = jwt.decode(
        signed_client_secret(upstream, now), ECKey.import_key(public_pem), algorithms=["ES256"]
    )

    assert token.header == {"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"}
    assert token.claims == {
        "iss": "TEAM123456",
        "sub": "com.example.signin",
        "aud": "https://appleid.apple.com",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }


def test_name_comes_from_the_first_sign_ins_user_field_only() -> None:
    user = {"name": {"firstName": "Jane", "lastName": "Appleseed"}, "email": "x@evil.example"}

    assert name_from_user_field({"user": json.dumps(user)}) == {
        "given_name": "Jane",
        "family_name": "Appleseed",
        "name": "Jane Appleseed",
    }
    assert name_from_user_field({}) == {}
    assert name_from_user_field({"user": "{not json"}) == {}
    assert name_from_user_field({"user": json.dumps({"name": "Jane"})}) == {}
