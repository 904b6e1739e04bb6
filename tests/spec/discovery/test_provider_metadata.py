"""OpenID Connect Discovery 1.0 and RFC 8414 provider metadata."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from ciam_oidc.settings import Settings
from tests.spec.http import http_client

OPENID = "/.well-known/openid-configuration"
OAUTH = "/.well-known/oauth-authorization-server"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"issuer": "https://id.example.com"}


async def test_issuer_is_the_configured_one_and_both_documents_agree(
    app: FastAPI, settings: Settings
) -> None:
    async with http_client(app, settings.issuer) as http:
        openid, oauth = await http.get(OPENID), await http.get(OAUTH)
    assert openid.status_code == oauth.status_code == 200
    assert openid.headers["content-type"] == "application/json"
    assert openid.json()["issuer"] == "https://id.example.com"
    assert oauth.json() == openid.json()


async def test_every_advertised_url_is_served(app: FastAPI, settings: Settings) -> None:
    """Only what is implemented is advertised: each URL member must answer."""
    async with http_client(app, settings.issuer) as http:
        document = (await http.get(OPENID)).json()
        urls = {k: v for k, v in document.items() if k.endswith(("_uri", "_endpoint"))}
        assert "jwks_uri" in urls
        for member, url in urls.items():
            assert url.startswith(settings.issuer + "/"), member
            # Any answer but 404 proves it is mounted: 405 for POST-only endpoints, 400 for an
            # authorization request without parameters, 401 for a protected resource.
            assert (await http.get(url)).status_code != 404, member


async def test_advertised_signing_algorithms_all_have_published_keys(
    app: FastAPI, settings: Settings
) -> None:
    async with http_client(app, settings.issuer) as http:
        document = (await http.get(OPENID)).json()
        jwks = (await http.get(document["jwks_uri"])).json()
    # OpenID Connect Core §15.1: RS256 must be supported for ID tokens.
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    published = {key["alg"] for key in jwks["keys"]}
    assert set(document["id_token_signing_alg_values_supported"]) <= published


async def test_metadata_may_be_cached(app: FastAPI, settings: Settings) -> None:
    async with http_client(app, settings.issuer) as http:
        response = await http.get(OPENID)
    assert "max-age=" in response.headers["cache-control"]


class TestIssuerWithAPath:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"issuer": "https://id.example.com/tenant-a"}

    async def test_documents_sit_where_each_spec_puts_them(
        self, app: FastAPI, settings: Settings
    ) -> None:
        async with http_client(app, "https://id.example.com") as http:
            # Discovery §4.1 appends; RFC 8414 §3.1 inserts before the path.
            openid = await http.get("/tenant-a/.well-known/openid-configuration")
            oauth = await http.get("/.well-known/oauth-authorization-server/tenant-a")
            assert openid.status_code == oauth.status_code == 200
            assert openid.json()["issuer"] == oauth.json()["issuer"] == settings.issuer
            jwks_uri = openid.json()["jwks_uri"]
            assert jwks_uri == "https://id.example.com/tenant-a/jwks"
            assert (await http.get(jwks_uri)).status_code == 200
            assert (await http.get(OPENID)).status_code == 404
