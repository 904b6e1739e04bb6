"""A whole Sign in with Apple, against an httpx.MockTransport standing in for Apple: the
form_post request, the signed client secret at the token endpoint, the "true" string for
`email_verified` and the name from the first sign-in's `user` field."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from ciam_oidc.authn.upstreams import UpstreamRequest
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.federation.client import UpstreamClients
from ciam_oidc.federation.presets import configure

APPLE = "https://appleid.apple.com"
SERVICES_ID = "com.example.signin"
REQUEST = UpstreamRequest("state-1", "nonce-1", "v" * 43, "https://id.example/federation/apple/cb")


class FakeApple:
    def __init__(self) -> None:
        self.team_key = ec.generate_private_key(ec.SECP256R1())
        self.signing_key = RSAKey.generate_key(2048, {"kid": "apple-1"})
        self.client_secrets: list[str] = []

    def team_pem(self) -> str:
        return self.team_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.metadata())
        if request.url.path == "/auth/keys":
            return httpx.Response(200, json={"keys": [self.signing_key.as_dict(private=False)]})
        form = parse_qs(request.content.decode())
        self.client_secrets.append(form["client_secret"][0])
        return httpx.Response(
            200,
            json={"access_token": "a", "token_type": "Bearer", "id_token": self.id_token()},
        )

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": APPLE,
            "authorization_endpoint": f"{APPLE}/auth/authorize",
            "token_endpoint": f"{APPLE}/auth/token",
            "jwks_uri": f"{APPLE}/auth/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }

    def id_token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": APPLE,
            "aud": SERVICES_ID,
            "sub": "001234.abcdef",
            "iat": now,
            "exp": now + 600,
            "nonce": REQUEST.nonce,
            "email": "jane@privaterelay.appleid.com",
            "email_verified": "true",
        }
        return jwt.encode({"alg": "RS256", "kid": "apple-1"}, claims, self.signing_key)


async def test_sign_in_with_apple() -> None:
    apple = FakeApple()
    upstream = configure(
        "apple",
        id="apple",
        client_id=SERVICES_ID,
        private_key=apple.team_pem(),
        options={"team_id": "TEAM123456", "key_id": "KEY1234567"},
        now=utc_now(),
    )
    clients = UpstreamClients(5, 60, utc_now, transport=httpx.MockTransport(apple))
    user = {"name": {"firstName": "Jane", "lastName": "Appleseed"}}
    try:
        url = await clients.authorization_url(upstream, REQUEST)
        identity = await clients.finish(
            upstream, REQUEST, {"state": "state-1", "code": "c", "user": json.dumps(user)}
        )
    finally:
        await clients.aclose()

    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{APPLE}/auth/authorize?")
    assert query["response_mode"] == ["form_post"]
    assert query["scope"] == ["name email"]
    assert query["nonce"] == [REQUEST.nonce]
    assert query["code_challenge_method"] == ["S256"]
    public = ECKey.import_key(
        apple.team_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    secret = jwt.decode(apple.client_secrets[0], public, algorithms=["ES256"]).claims
    assert (secret["iss"], secret["sub"], secret["aud"]) == ("TEAM123456", SERVICES_ID, APPLE)
    assert (identity.issuer, identity.subject) == (APPLE, "001234.abcdef")
    assert (identity.email, identity.email_verified) == ("jane@privaterelay.appleid.com", True)
    assert identity.claims == {
        "given_name": "Jane",
        "family_name": "Appleseed",
        "name": "Jane Appleseed",
    }
