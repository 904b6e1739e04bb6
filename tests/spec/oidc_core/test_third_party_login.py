"""Third-party initiated login (OpenID Connect Core §4): a link here sends the browser to the
client's initiate_login_uri, which starts an ordinary authorization request."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from ciam_oidc.app import Provider
from tests.spec.browser import Browser, register_rp

INITIATE_LOGIN_URI = "https://rp.example/login?from=op"


async def initiate(browser: Browser, **params: str) -> httpx.Response:
    return await browser.http.get("/login/initiate?" + urlencode(params))


def sent_to(response: httpx.Response) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 303, response.text
    parts = urlsplit(response.headers["location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query)


async def test_the_browser_is_sent_to_the_client_with_our_issuer(
    browser: Browser, provider: Provider
) -> None:
    rp = await register_rp(provider, initiate_login_uri=INITIATE_LOGIN_URI)
    target = "https://rp.example/orders/42"
    response = await initiate(
        browser, client_id=rp.client_id, target_link_uri=target, login_hint="alice@example.com"
    )
    where, query = sent_to(response)
    assert where == "https://rp.example/login"
    assert query == {
        "from": ["op"],  # the registered query is kept
        "iss": ["https://id.example.com"],
        "target_link_uri": [target],
        "login_hint": ["alice@example.com"],
    }


@pytest.mark.parametrize(
    "target", ["https://attacker.example/", "http://rp.example/orders", "javascript:alert(1)"]
)
async def test_a_target_off_the_clients_origins_is_not_passed_on(
    browser: Browser, provider: Provider, target: str
) -> None:
    rp = await register_rp(provider, initiate_login_uri=INITIATE_LOGIN_URI)
    _, query = sent_to(await initiate(browser, client_id=rp.client_id, target_link_uri=target))
    assert "target_link_uri" not in query
    assert query["iss"] == ["https://id.example.com"]


async def test_only_a_client_with_an_initiate_login_uri_can_be_started(
    browser: Browser, provider: Provider
) -> None:
    rp = await register_rp(provider)
    for params in ({"client_id": rp.client_id}, {"client_id": "nobody"}, {}):
        response = await initiate(browser, **params)
        assert response.status_code == 400
        assert "location" not in response.headers
