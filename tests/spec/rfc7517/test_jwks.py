"""The JWK Set document (RFC 7517 §5) as relying parties fetch it."""

from __future__ import annotations

from fastapi import FastAPI

from ciam_oidc.settings import Settings
from tests.spec.http import http_client

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


async def fetch_jwks(
    app: FastAPI, settings: Settings
) -> tuple[dict[str, list[dict[str, str]]], str]:
    async with http_client(app, settings.issuer) as http:
        response = await http.get("/jwks")
    assert response.status_code == 200
    return response.json(), response.headers["cache-control"]


async def test_keys_have_unique_kids_use_and_alg(app: FastAPI, settings: Settings) -> None:
    jwks, _ = await fetch_jwks(app, settings)
    kids = [key["kid"] for key in jwks["keys"]]
    assert len(kids) == len(set(kids)) == len(settings.signing_algs)
    for key in jwks["keys"]:
        assert key["use"] == "sig"
        assert key["alg"] in settings.signing_algs


async def test_no_private_key_material_is_published(app: FastAPI, settings: Settings) -> None:
    jwks, _ = await fetch_jwks(app, settings)
    for key in jwks["keys"]:
        assert not PRIVATE_MEMBERS & set(key), key["kid"]


async def test_jwks_is_cacheable_for_the_configured_time(app: FastAPI, settings: Settings) -> None:
    _, cache_control = await fetch_jwks(app, settings)
    assert cache_control == f"public, max-age={settings.jwks_max_age_seconds}"
