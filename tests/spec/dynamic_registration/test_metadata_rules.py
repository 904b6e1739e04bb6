"""Every metadata rule answers with the exact RFC 7591 §3.2.2 error code: `invalid_redirect_uri`
for redirection URIs, `invalid_client_metadata` for anything else (OpenID Connect Dynamic
Client Registration 1.0 §2 and §3.3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import fresh_database_url
from tests.spec.dynamic_registration.conftest import assert_error, register, web_app
from tests.spec.rfc7523.test_client_assertions import EC_KEY, public_jwks

REDIRECT = "invalid_redirect_uri"
METADATA = "invalid_client_metadata"
IMPLICIT = {"grant_types": ["implicit"], "response_types": ["id_token"]}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"client_registration": "open"}


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """These rules are decided before anything is stored: one backend shows them."""
    return fresh_database_url(request, "sqlite", tmp_path)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"client_name": "No way back"}, REDIRECT),
        (web_app(redirect_uris=["https://shop.example/cb#frag"]), REDIRECT),
        (web_app(redirect_uris=["http://shop.example/cb"]), REDIRECT),
        (web_app(redirect_uris="https://shop.example/cb"), REDIRECT),
        # RFC 7591 §2.1: response types need their grants, and grants their response types.
        (web_app(response_types=["id_token"]), METADATA),
        (web_app(grant_types=["authorization_code", "implicit"]), METADATA),
        (web_app(response_types=["code", "device"]), METADATA),
        # OIDC DCR §2 application_type: implicit web clients use https, never localhost.
        (web_app(redirect_uris=["https://localhost/cb"], **IMPLICIT), REDIRECT),
        (web_app(redirect_uris=["http://127.0.0.1/cb"], **IMPLICIT), REDIRECT),
        (web_app(redirect_uris=["com.example.shop:/cb"]), REDIRECT),
        (web_app(application_type="desktop"), METADATA),
        (web_app(token_endpoint_auth_method="tls_client_auth"), METADATA),
        (web_app(token_endpoint_auth_method="private_key_jwt"), METADATA),
        (
            web_app(
                token_endpoint_auth_method="private_key_jwt",
                jwks=public_jwks(EC_KEY),
                jwks_uri="https://shop.example/jwks.json",
            ),
            METADATA,
        ),
        (web_app(token_endpoint_auth_signing_alg="ES256"), METADATA),
        (web_app(subject_type="secret"), METADATA),
        (
            web_app(
                subject_type="pairwise",
                redirect_uris=["https://a.example/cb", "https://b.example/cb"],
            ),
            METADATA,
        ),
        (web_app(id_token_signed_response_alg="HS256"), METADATA),
        (web_app(id_token_signed_response_alg="none"), METADATA),
        (web_app(userinfo_signed_response_alg="none"), METADATA),
        (web_app(request_object_signing_alg="HS256"), METADATA),
        (web_app(id_token_encrypted_response_alg="RSA-OAEP"), METADATA),
        (web_app(default_max_age=-1), METADATA),
        (web_app(default_max_age="3600"), METADATA),
        (web_app(require_auth_time="yes"), METADATA),
        (web_app(post_logout_redirect_uris=["http://shop.example/bye"]), REDIRECT),
        (web_app(backchannel_logout_uri="http://shop.example/logout"), METADATA),
        (web_app(backchannel_logout_uri="https://shop.example/logout#x"), METADATA),
        (web_app(frontchannel_logout_uri="https://elsewhere.example/logout"), METADATA),
        (web_app(initiate_login_uri="http://shop.example/login"), METADATA),
        (web_app(request_uris=["http://shop.example/request.jwt"]), METADATA),
        (web_app(contacts=[42]), METADATA),
        (web_app(tos_uri="javascript:alert(1)"), METADATA),
        (web_app(logo_uri="http://shop.example/logo.png"), METADATA),
        (web_app(scope="openid\u00e9"), METADATA),
        (["https://shop.example/cb"], METADATA),
    ],
)
async def test_unacceptable_metadata_is_refused_with_the_exact_error(
    http: httpx.AsyncClient, body: Any, error: str
) -> None:
    assert_error(await http.post("/connect/register", json=body), error)


async def test_a_body_that_is_not_json_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/connect/register", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert_error(response, METADATA)


@pytest.mark.parametrize(
    ("body", "registered"),
    [
        # OIDC Core §3.2 and §3.3: implicit and hybrid clients, when they register for it.
        (
            web_app(
                grant_types=["implicit", "authorization_code"],
                response_types=["id_token token", "token code id_token", "code"],
            ),
            {"response_types": ["id_token token", "code id_token token", "code"]},
        ),
        # RFC 8252 §7: native apps use private-use schemes or loopback http.
        (
            web_app(
                application_type="native",
                redirect_uris=["com.example.shop:/cb", "http://127.0.0.1:7777/cb"],
                token_endpoint_auth_method="none",
            ),
            {"redirect_uris": ["com.example.shop:/cb", "http://127.0.0.1:7777/cb"]},
        ),
        (
            web_app(request_object_signing_alg="none", request_uris=["https://shop.example/r"]),
            {"request_object_signing_alg": "none", "request_uris": ["https://shop.example/r"]},
        ),
        (
            web_app(
                subject_type="pairwise",
                default_max_age=0,
                require_auth_time=True,
                id_token_signed_response_alg="ES256",
                userinfo_signed_response_alg="RS256",
                default_acr_values=["urn:example:mfa"],
                initiate_login_uri="https://shop.example/login",
                post_logout_redirect_uris=["https://shop.example/bye"],
                frontchannel_logout_uri="https://shop.example/fc-logout",
                frontchannel_logout_session_required=True,
                backchannel_logout_uri="http://localhost:9000/bc-logout",
                client_uri="https://shop.example/",
                policy_uri="https://shop.example/privacy",
                tos_uri="https://shop.example/terms",
                logo_uri="https://shop.example/logo.png",
                software_id="ignored: metadata the server does not know",
            ),
            {
                "subject_type": "pairwise",
                "default_max_age": 0,
                "require_auth_time": True,
                "id_token_signed_response_alg": "ES256",
                "userinfo_signed_response_alg": "RS256",
                "default_acr_values": ["urn:example:mfa"],
                "initiate_login_uri": "https://shop.example/login",
                "post_logout_redirect_uris": ["https://shop.example/bye"],
                "frontchannel_logout_uri": "https://shop.example/fc-logout",
                "frontchannel_logout_session_required": True,
                "backchannel_logout_uri": "http://localhost:9000/bc-logout",
                "backchannel_logout_session_required": False,
                "client_uri": "https://shop.example/",
                "policy_uri": "https://shop.example/privacy",
                "tos_uri": "https://shop.example/terms",
                "logo_uri": "https://shop.example/logo.png",
            },
        ),
    ],
)
async def test_acceptable_metadata_is_registered_and_returned(
    http: httpx.AsyncClient, body: dict[str, Any], registered: dict[str, Any]
) -> None:
    response = await register(http, body)
    assert response.status_code == 201, response.text
    returned = response.json()
    assert {name: returned.get(name) for name in registered} == registered
    assert "software_id" not in returned
