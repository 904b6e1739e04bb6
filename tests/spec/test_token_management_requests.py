"""What /revoke (RFC 7009 §2.1) and /introspect (RFC 7662 §2.1) require of every request."""

from __future__ import annotations

import httpx
import pytest

from ciam_oidc.app import Provider
from tests.spec.issued_tokens import Party, machine_client

ENDPOINTS = ["/revoke", "/introspect"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("form", [{}, {"token": ""}])
async def test_a_request_without_a_token_is_invalid_request(
    http: httpx.AsyncClient, provider: Provider, endpoint: str, form: dict[str, str]
) -> None:
    machine = await machine_client(provider)
    response = await http.post(endpoint, data=form, headers=machine.auth())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_only_post_is_served(http: httpx.AsyncClient, endpoint: str) -> None:
    assert (await http.get(endpoint)).status_code == 405


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_the_client_must_authenticate(
    http: httpx.AsyncClient, provider: Provider, endpoint: str
) -> None:
    """Client authentication as at the token endpoint: 401 and a challenge (RFC 6749 §5.2)."""
    machine = await machine_client(provider)
    wrong = Party(machine.client_id, "not-the-secret")
    anonymous = await http.post(endpoint, data={"token": "any"})
    attempted = await http.post(endpoint, data={"token": "any"}, headers=wrong.auth())
    for response in (attempted, anonymous):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")
        assert response.headers["cache-control"] == "no-store"
