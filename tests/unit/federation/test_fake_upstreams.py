"""The fake upstreams answer like the real thing, so federation tests can trust them."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.upstreams import (
    FakeGitHub,
    FakeOidcUpstream,
    callback_params,
    fake_github,
    fake_oidc_upstream,
)

__all__ = ["fake_github", "fake_oidc_upstream"]

REDIRECT_URI = "http://127.0.0.1:1/federation/x/callback"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def test_oidc_upstream_signs_the_person_in_with_a_verifiable_id_token(
    fake_oidc_upstream: FakeOidcUpstream,
) -> None:
    upstream = fake_oidc_upstream
    upstream.register_client("rp", "rp-secret-0123456789", REDIRECT_URI)
    verifier = secrets.token_urlsafe(32)
    async with httpx.AsyncClient(base_url=upstream.issuer) as http:
        metadata = (await http.get("/.well-known/openid-configuration")).json()
        query = {
            "response_type": "code",
            "client_id": "rp",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email",
            "state": "s1",
            "nonce": "n1",
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        params = await callback_params(f"{metadata['authorization_endpoint']}?{urlencode(query)}")
        assert params["state"] == "s1"
        assert params["iss"] == upstream.issuer
        form = {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        }
        tokens = await http.post("/token", data=form, auth=("rp", "rp-secret-0123456789"))
        replay = await http.post("/token", data=form, auth=("rp", "rp-secret-0123456789"))
        jwks = (await http.get("/jwks")).json()
        userinfo = await http.get(
            "/userinfo", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
        )

    assert metadata["authorization_response_iss_parameter_supported"] is True
    claims = jwt.decode(tokens.json()["id_token"], KeySet.import_key_set(jwks)).claims
    assert (claims["iss"], claims["aud"], claims["nonce"]) == (upstream.issuer, "rp", "n1")
    assert claims["sub"] == upstream.person["sub"]
    assert replay.json() == {"error": "invalid_grant"}
    assert userinfo.json()["email"] == upstream.person["email"]
    assert upstream.jwks_requests == 1


async def test_oidc_upstream_form_post_and_denial(fake_oidc_upstream: FakeOidcUpstream) -> None:
    upstream = fake_oidc_upstream
    upstream.register_client("rp", "rp-secret-0123456789", REDIRECT_URI)
    query = {
        "response_type": "code",
        "response_mode": "form_post",
        "client_id": "rp",
        "redirect_uri": REDIRECT_URI,
        "state": "s2",
        "code_challenge": _challenge("v" * 43),
        "code_challenge_method": "S256",
    }
    posted = await callback_params(f"{upstream.issuer}/authorize?{urlencode(query)}")
    upstream.deny_next()
    denied = await callback_params(f"{upstream.issuer}/authorize?{urlencode(query)}")

    assert posted["state"] == "s2"
    assert "code" in posted
    assert denied["error"] == "access_denied"
    assert "code" not in denied


def test_github_answers_json_when_asked_and_lists_emails() -> None:
    with FakeGitHub() as github:
        github.register_client("gh", "gh-secret", REDIRECT_URI)
        with httpx.Client() as http:
            location = http.get(
                github.authorization_endpoint,
                params={"client_id": "gh", "redirect_uri": REDIRECT_URI, "state": "s3"},
            ).headers["location"]
            code = httpx.URL(location).params["code"]
            form = {"client_id": "gh", "client_secret": "gh-secret", "code": code}
            token = http.post(
                github.token_endpoint, data=form, headers={"Accept": "application/json"}
            ).json()
            bearer = {"Authorization": f"Bearer {token['access_token']}"}
            user = http.get(github.userinfo_endpoint, headers=bearer).json()
            emails = http.get(f"{github.userinfo_endpoint}/emails", headers=bearer).json()
            reused = http.post(github.token_endpoint, data=form)

    assert user["id"] == github.user["id"]
    assert any(email["primary"] and email["verified"] for email in emails)
    assert reused.status_code == 200  # GitHub's way: an error in a 200 answer
    assert "error=bad_verification_code" in reused.text
