"""What registration fetches from the client's own server: the JWK Set at `jwks_uri` (RFC 7591
§2) and the redirect URIs its `sector_identifier_uri` lists (OpenID Connect Core §8.1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.spec.dynamic_registration.conftest import (
    DocumentServer,
    assert_error,
    register,
    web_app,
)
from tests.spec.rfc7523.test_client_assertions import EC_KEY, public_jwks

CALLBACKS = ["https://shop.example/cb", "https://pay.example/cb"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"client_registration": "open"}


def pairwise(sector_identifier_uri: str) -> dict[str, Any]:
    return web_app(
        redirect_uris=CALLBACKS,
        subject_type="pairwise",
        sector_identifier_uri=sector_identifier_uri,
    )


async def test_a_sector_identifier_listing_every_redirect_uri_is_accepted(
    http: httpx.AsyncClient, client_site: DocumentServer
) -> None:
    url = client_site.publish("/sector.json", [*CALLBACKS, "https://other.example/cb"])
    response = await register(http, pairwise(url))
    assert response.status_code == 201, response.text
    assert response.json()["sector_identifier_uri"] == url


async def test_a_redirect_uri_missing_from_the_sector_identifier_is_refused(
    http: httpx.AsyncClient, client_site: DocumentServer
) -> None:
    url = client_site.publish("/sector.json", CALLBACKS[:1])
    assert_error(await register(http, pairwise(url)), "invalid_redirect_uri")


@pytest.mark.parametrize(
    "document", [{"redirect_uris": CALLBACKS}, [1, 2], "https://shop.example/cb"]
)
async def test_a_sector_identifier_that_is_not_an_array_of_urls_is_refused(
    http: httpx.AsyncClient, client_site: DocumentServer, document: Any
) -> None:
    url = client_site.publish("/sector.json", document)
    assert_error(await register(http, pairwise(url)), "invalid_client_metadata")


async def test_an_unreachable_sector_identifier_is_refused(
    http: httpx.AsyncClient, client_site: DocumentServer
) -> None:
    missing = client_site.base + "/nothing-here.json"
    assert_error(await register(http, pairwise(missing)), "invalid_client_metadata")


async def test_a_sector_identifier_must_be_https(http: httpx.AsyncClient) -> None:
    response = await register(http, pairwise("http://shop.example/sector.json"))
    assert_error(response, "invalid_client_metadata")


def key_client(jwks_uri: str) -> dict[str, Any]:
    return web_app(token_endpoint_auth_method="private_key_jwt", jwks_uri=jwks_uri)


async def test_a_jwks_uri_must_serve_public_signing_keys(
    http: httpx.AsyncClient, client_site: DocumentServer
) -> None:
    exposed = client_site.publish("/private.json", {"keys": [EC_KEY.as_dict(private=True)]})
    assert_error(await register(http, key_client(exposed)), "invalid_client_metadata")
    missing = client_site.base + "/nothing-here.json"
    assert_error(await register(http, key_client(missing)), "invalid_client_metadata")
    good = client_site.publish("/jwks.json", public_jwks(EC_KEY))
    assert (await register(http, key_client(good))).status_code == 201
