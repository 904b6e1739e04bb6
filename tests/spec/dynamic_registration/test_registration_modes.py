"""CIAM_CLIENT_REGISTRATION: `off` hides the endpoint, `token` (the default) needs an initial
access token (RFC 7591 §3, RFC 6750 §3.1), `open` lets anyone register."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.settings import Settings
from tests.spec.dynamic_registration.conftest import REGISTER, initial_token, register, web_app

OFF = {"client_registration": "off"}
OPEN = {"client_registration": "open"}


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("settings_overrides", [OFF])
async def test_off_neither_mounts_nor_advertises_the_endpoint(http: httpx.AsyncClient) -> None:
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert "registration_endpoint" not in discovery
    assert (await register(http, web_app())).status_code == 404


async def test_token_mode_is_the_default_and_advertised(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert discovery["registration_endpoint"] == f"{settings.issuer}{REGISTER}"


async def test_token_mode_refuses_a_request_without_a_token(http: httpx.AsyncClient) -> None:
    assert_invalid_token(await register(http, web_app()))


async def test_token_mode_refuses_a_token_it_never_issued(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    await initial_token(provider)
    assert_invalid_token(await register(http, web_app(), token="made-up"))


async def test_token_mode_refuses_an_expired_token(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    expired = await initial_token(provider, ttl=timedelta(seconds=-1))
    assert_invalid_token(await register(http, web_app(), token=expired))


async def test_token_mode_registers_with_a_valid_token_more_than_once(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    token = await initial_token(provider, ttl=timedelta(hours=1))
    first = await register(http, web_app(), token=token)
    second = await register(http, web_app(), token=token)
    assert (first.status_code, second.status_code) == (201, 201), first.text
    assert first.json()["client_id"] != second.json()["client_id"]


async def test_the_token_is_checked_before_the_body(http: httpx.AsyncClient) -> None:
    response = await http.post(REGISTER, content=b"not json", headers={"Content-Type": "x/y"})
    assert_invalid_token(response)


@pytest.mark.parametrize("settings_overrides", [OPEN])
async def test_open_mode_registers_anyone(http: httpx.AsyncClient) -> None:
    response = await register(http, web_app())
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
