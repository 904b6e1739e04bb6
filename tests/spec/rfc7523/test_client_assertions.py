"""Client authentication with JWT assertions (OpenID Connect Core §9; RFC 7521 §4.2, RFC 7523
§2.2 and §3): `private_key_jwt` and `client_secret_jwt` machine clients at POST /token, and the
same assertions at /introspect and /revoke."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, Key, OctKey, OKPKey, RSAKey

from ciam_oidc.app import Provider, create_app
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.secrets import new_secret
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.settings import Settings
from tests.spec.http import http_client

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FAILED = {"error": "invalid_client", "error_description": "client authentication failed"}
DROP = object()  # a claim or the header's kid, left out
# Generated once: RSA key generation is slow enough to matter across ~50 tests.
RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
OTHER_EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})  # same kid, other key
SECOND_EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "ec-2"})


@dataclass(frozen=True)
class AssertingClient:
    """A registered machine client and what it signs its assertions with."""

    client_id: str
    key: Key
    alg: str
    token_url: str

    def assertion(
        self, *, key: Key | None = None, alg: str | None = None, **changes: object
    ) -> str:
        """A fresh assertion (new jti) for POST /token; `changes` replace or DROP claims,
        `kid` replaces or DROPs the header's."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url,
            "exp": now + 60,
            "iat": now,
            "jti": new_secret(16),
        }
        signing_key = key or self.key
        header: dict[str, Any] = {
            "alg": alg or self.alg,
            "kid": changes.pop("kid", signing_key.kid),
        }
        claims |= changes
        return jwt.encode(
            _without_dropped(header),
            _without_dropped(claims),
            signing_key,
            algorithms=[header["alg"]],
        )


def _without_dropped(members: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in members.items() if value not in (DROP, None)}


@pytest.fixture
async def http(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app, settings.issuer) as client:
        yield client


def machine(method: str, **changes: Any) -> ClientRequest:
    return ClientRequest(
        name="Payroll job",
        grant_types=("client_credentials",),
        scope="payroll:read",
        token_endpoint_auth_method=method,
        **changes,
    )


async def add_client(app: FastAPI, request: ClientRequest) -> tuple[str, str | None]:
    provider: Provider = app.state.provider
    client, secret = register_client(request, utc_now(), secret_box=provider.client_secrets)
    await provider.clients.add_client(client)
    return client.client_id, secret


def public_jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


async def private_key_client(
    app: FastAPI,
    settings: Settings,
    key: Key = EC_KEY,
    alg: str = "ES256",
    registered: tuple[Key, ...] = (),
) -> AssertingClient:
    """A private_key_jwt client registering `registered` keys, or else `key` alone."""
    jwks = public_jwks(*(registered or (key,)))
    client_id, _ = await add_client(app, machine("private_key_jwt", jwks=jwks))
    return AssertingClient(client_id, key, alg, settings.issuer + "/token")


async def secret_jwt_client(
    app: FastAPI, settings: Settings, alg: str = "HS256"
) -> tuple[AssertingClient, str]:
    client_id, secret = await add_client(app, machine("client_secret_jwt"))
    assert secret is not None
    key = OctKey.import_key(secret.encode())
    return AssertingClient(client_id, key, alg, settings.issuer + "/token"), secret


async def token(
    http: httpx.AsyncClient, assertion: str, headers: dict[str, str] | None = None, **form: str
) -> httpx.Response:
    fields = {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        **form,
    }
    return await http.post("/token", data=fields, headers=headers or {})


def assert_refused(response: httpx.Response) -> None:
    """RFC 7521 §4.2.1: invalid_client, 401 with a challenge, and no hint which check failed."""
    assert response.status_code == 401, response.text
    assert response.json() == FAILED
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.headers["cache-control"] == "no-store"


def assert_token_for(response: httpx.Response, client_id: str) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "payroll:read"
    assert unverified_claims(body["access_token"])["client_id"] == client_id


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return claims


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None) -> str:
    """A JWS built without a JOSE library, for what libraries refuse to make: `alg: none`, or
    an HMAC keyed with a public key."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_key is None:
        return signing_input + "."
    mac = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


# -- what works -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "alg"),
    [
        (RSA_KEY, "RS256"),
        (RSA_KEY, "PS256"),
        (EC_KEY, "ES256"),
        (OKPKey.generate_key("Ed25519", parameters={"kid": "ed-1"}), "Ed25519"),
    ],
)
async def test_private_key_jwt_client_gets_a_token_with_an_assertion_signed_by_its_key(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, key: Key, alg: str
) -> None:
    client = await private_key_client(app, settings, key, alg)
    assert_token_for(await token(http, client.assertion()), client.client_id)


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
async def test_client_secret_jwt_client_gets_a_token_with_an_assertion_macd_by_its_secret(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, alg: str
) -> None:
    client, _ = await secret_jwt_client(app, settings, alg)
    assert_token_for(await token(http, client.assertion()), client.client_id)


async def test_client_id_may_accompany_the_assertion_when_it_names_the_same_client(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    client = await private_key_client(app, settings)
    response = await token(http, client.assertion(), client_id=client.client_id)
    assert_token_for(response, client.client_id)


@pytest.mark.parametrize("audience", ["issuer", "token endpoint", "list naming the endpoint"])
async def test_the_audience_may_be_the_issuer_or_the_token_endpoint(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, audience: str
) -> None:
    """RFC 7523 §3 item 3; OpenID Connect Core §9 names the token endpoint URL."""
    client = await private_key_client(app, settings)
    audiences: dict[str, str | list[str]] = {
        "issuer": settings.issuer,
        "token endpoint": client.token_url,
        "list naming the endpoint": ["https://elsewhere.example", client.token_url],
    }
    aud = audiences[audience]
    assert_token_for(await token(http, client.assertion(aud=aud)), client.client_id)


async def test_an_assertion_without_kid_is_checked_against_each_registered_key_of_its_type(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    client = await private_key_client(
        app, settings, EC_KEY, "ES256", registered=(RSA_KEY, SECOND_EC_KEY, EC_KEY)
    )
    assert_token_for(await token(http, client.assertion(kid=DROP)), client.client_id)


async def test_a_jti_is_the_client_s_own_another_client_may_use_the_same(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    first = await private_key_client(app, settings)
    second = await private_key_client(app, settings)
    assert_token_for(await token(http, first.assertion(jti="shared")), first.client_id)
    assert_token_for(await token(http, second.assertion(jti="shared")), second.client_id)


async def test_revocation_and_introspection_accept_assertions_addressed_to_them(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    client = await private_key_client(app, settings)
    access_token = (await token(http, client.assertion())).json()["access_token"]

    def about_the_token(aud: str) -> dict[str, str]:
        return {
            "token": access_token,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client.assertion(aud=aud),
        }

    issuer = settings.issuer
    before = await http.post("/introspect", data=about_the_token(issuer + "/introspect"))
    revoked = await http.post("/revoke", data=about_the_token(issuer + "/revoke"))
    after = await http.post("/introspect", data=about_the_token(issuer))

    assert before.status_code == 200, before.text
    assert before.json()["active"] is True
    assert before.json()["client_id"] == client.client_id
    assert revoked.status_code == 200, revoked.text
    assert after.json() == {"active": False}


async def test_discovery_advertises_both_methods_and_their_algorithms(
    http: httpx.AsyncClient,
) -> None:
    document = (await http.get("/.well-known/openid-configuration")).json()
    for member in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        methods = document[f"{member}_auth_methods_supported"]
        assert {"client_secret_jwt", "private_key_jwt"} <= set(methods), member
        assert document[f"{member}_auth_signing_alg_values_supported"] == [
            "RS256",
            "PS256",
            "ES256",
            "Ed25519",
            "HS256",
            "HS384",
            "HS512",
        ], member


# -- single use, across nodes ---------------------------------------------------------------


async def test_a_replayed_assertion_is_refused(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    """RFC 7523 §3 item 7: the jti makes an assertion single-use."""
    client = await private_key_client(app, settings)
    assertion = client.assertion()
    assert_token_for(await token(http, assertion), client.client_id)
    assert_refused(await token(http, assertion))
    assert_refused(await token(http, client.assertion(jti=unverified_claims(assertion)["jti"])))


async def test_two_nodes_given_the_same_assertion_at_once_accept_it_once(
    app: FastAPI, settings: Settings
) -> None:
    """Two applications on one database, as two nodes behind a load balancer."""
    client = await private_key_client(app, settings)
    other_node = create_app(settings)
    async with (
        other_node.router.lifespan_context(other_node),
        http_client(app, settings.issuer) as one,
        http_client(other_node, settings.issuer) as two,
    ):
        for _ in range(3):
            assertion = client.assertion()
            responses = await asyncio.gather(token(one, assertion), token(two, assertion))
            assert sorted(response.status_code for response in responses) == [200, 401]


# -- what is refused ------------------------------------------------------------------------


def bad_claims(now: int) -> dict[str, dict[str, Any]]:
    """Relative to the moment the test runs: a suite can take minutes to reach it."""
    return {
        "wrong audience": {"aud": "https://elsewhere.example/token"},
        "audience list without us": {"aud": ["https://elsewhere.example/token"]},
        "no audience": {"aud": DROP},
        "expired": {"exp": now - 120, "iat": now - 180},
        "no exp": {"exp": DROP},
        "exp not a number": {"exp": str(now + 60)},
        "exp an hour ahead": {"exp": now + 3600},
        "not yet valid": {"nbf": now + 300},
        "issued in the future": {"iat": now + 300},
        "no jti": {"jti": DROP},
        "empty jti": {"jti": ""},
        "iss is not the client": {"iss": "someone-else"},
        "iss missing": {"iss": DROP},
        "unknown kid": {"kid": "no-such-key"},
    }


@pytest.mark.parametrize("case", bad_claims(0))
async def test_an_assertion_failing_a_check_is_invalid_client(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, case: str
) -> None:
    client = await private_key_client(app, settings)
    claims = bad_claims(int(time.time()))[case]
    assert_refused(await token(http, client.assertion(**claims)))


async def test_an_assertion_from_an_unregistered_key_with_a_registered_kid_is_refused(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    client = await private_key_client(app, settings)
    assert_refused(await token(http, client.assertion(key=OTHER_EC_KEY)))


async def test_sub_must_be_the_client_named_by_client_id(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    """RFC 7523 §3 item 2 and RFC 7521 §4.2: sub, iss and client_id name one client."""
    mine = await private_key_client(app, settings)
    other = await private_key_client(app, settings, OTHER_EC_KEY)
    claiming_other = mine.assertion(sub=other.client_id)
    assert_refused(await token(http, claiming_other, client_id=mine.client_id))
    assert_refused(await token(http, mine.assertion(), client_id=other.client_id))
    # Without client_id the sub names the client: the other one, whose key did not sign.
    assert_refused(await token(http, mine.assertion(sub=other.client_id)))


async def test_alg_none_is_refused(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    client = await private_key_client(app, settings)
    claims = unverified_claims(client.assertion())
    assertion = hand_signed({"alg": "none", "typ": "JWT"}, claims, hmac_key=None)
    assert_refused(await token(http, assertion))


@pytest.mark.parametrize("encoding", ["PEM", "JWK JSON"])
async def test_an_hmac_keyed_with_the_client_s_public_key_is_refused(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient, encoding: str
) -> None:
    """The key-confusion attack: HS256 is not an algorithm of private_key_jwt."""
    client = await private_key_client(app, settings, RSA_KEY, "RS256")
    public = (
        RSA_KEY.as_pem(private=False)
        if encoding == "PEM"
        else json.dumps(RSA_KEY.as_dict(private=False)).encode()
    )
    claims = unverified_claims(client.assertion())
    assertion = hand_signed({"alg": "HS256", "kid": "rsa-1"}, claims, hmac_key=public)
    assert_refused(await token(http, assertion))


async def test_client_secret_jwt_with_a_wrong_secret_is_refused(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    client, secret = await secret_jwt_client(app, settings)
    wrong = OctKey.import_key((secret + "x").encode())
    assert_refused(await token(http, client.assertion(key=wrong)))


async def test_each_client_authenticates_only_by_its_registered_method(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    secret_client, secret = await secret_jwt_client(app, settings)
    # A private key assertion from a client_secret_jwt client...
    assert_refused(await token(http, secret_client.assertion(key=EC_KEY, alg="ES256", kid="ec-1")))
    # ...and its secret sent as client_secret_post are both the wrong method.
    form = {"grant_type": "client_credentials", "client_id": secret_client.client_id}
    response = await http.post("/token", data={**form, "client_secret": secret})
    assert_refused(response)


async def test_an_assertion_and_a_secret_together_are_invalid_request(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §2.3: a client MUST NOT use more than one authentication method."""
    client, secret = await secret_jwt_client(app, settings)
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    with_basic = await token(http, client.assertion(), {"Authorization": f"Basic {basic}"})
    with_post = await token(http, client.assertion(), client_secret=secret)
    for response in (with_basic, with_post):
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request"


async def test_an_assertion_needs_the_jwt_bearer_assertion_type(
    app: FastAPI, settings: Settings, http: httpx.AsyncClient
) -> None:
    client = await private_key_client(app, settings)
    other_type = await token(
        http, client.assertion(), client_assertion_type="urn:ietf:params:oauth:saml2-bearer"
    )
    without_type = await http.post(
        "/token", data={"grant_type": "client_credentials", "client_assertion": "x.y.z"}
    )
    assert other_type.status_code == 401
    assert other_type.json()["error"] == "invalid_client"
    assert without_type.status_code == 400
    assert without_type.json()["error"] == "invalid_request"


MALFORMED = {
    "not a JWT": "not-a-jwt",
    "not base64url JSON": "a.b.c",
    "no alg": "e30.e30.",
    "long garbage": "x" * 5000,
    "deeply nested claims": ".".join(
        (b64url(b'{"alg": "ES256"}'), b64url(b"[" * 20000 + b"]" * 20000), "c2ln")
    ),
}


@pytest.mark.parametrize("assertion", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_assertion_is_invalid_client(
    http: httpx.AsyncClient, assertion: str
) -> None:
    assert_refused(await token(http, assertion))
