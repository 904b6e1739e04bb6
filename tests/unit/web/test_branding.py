"""Branding: the deployment's name, logo and colour on every page, a client's on the pages and
mail of its own sign-in; colours that stay readable, and a CSP that admits only the logo's
origin, on the pages that show it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from ciam_oidc.app import Provider
from ciam_oidc.web.brand_colors import DARK_SURFACE, LIGHT_SURFACE, Accent, accent_on, contrast
from ciam_oidc.web.branding import stylesheet
from ciam_oidc.web.security_headers import (
    CONTENT_SECURITY_POLICY,
    image_source,
    with_image_source,
)
from tests.spec.browser import (
    PASSWORD,
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    csrf_token,
    flow_id,
    register_rp,
)
from tests.spec.http import http_client

ISSUER = "https://id.example.com"
EMAIL = "alice@example.com"
DEPLOYMENT_LOGO = "https://static.example.com/acme.svg"
SHOP_LOGO = "https://cdn.shop.example/logo.png"


@pytest.mark.parametrize("color", ["#0b57d0", "#000000", "#5b2a86"])
def test_a_colour_that_reads_on_white_is_kept_with_a_white_label(color: str) -> None:
    assert accent_on(color, LIGHT_SURFACE) == Accent(color, "#ffffff")


@pytest.mark.parametrize("color", ["#ffeb3b", "#ffffff", "#7fdbff", "#0b57d0", "#000000"])
@pytest.mark.parametrize("surface", [LIGHT_SURFACE, DARK_SURFACE])
def test_every_accent_reads_as_text_on_its_surface_and_under_its_label(
    color: str, surface: str
) -> None:
    """WCAG 2.2 SC 1.4.3: 4.5:1 for links on the page and for a button's label."""
    accent = accent_on(color, surface)
    assert contrast(accent.color, surface) >= 4.5
    assert contrast(accent.text, accent.color) >= 4.5


def test_a_light_colour_is_darkened_only_as_far_as_needed() -> None:
    yellow = accent_on("#ffeb3b", LIGHT_SURFACE).color
    assert contrast(yellow, LIGHT_SURFACE) < 5.5  # still a (dark) yellow, not black
    assert yellow != "#000000"


def test_the_stylesheet_sets_the_accent_for_light_and_dark_mode() -> None:
    css = stylesheet("#0b57d0")
    light, _, dark = css.partition("@media (prefers-color-scheme: dark)")
    assert "--accent: #0b57d0; --accent-text: #ffffff; --focus: #0b57d0;" in light
    assert f"--accent: {accent_on('#0b57d0', DARK_SURFACE).color};" in dark


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://cdn.shop.example/logo.png?v=2", "https://cdn.shop.example"),
        ("https://CDN.example:8443/a.svg", "https://cdn.example:8443"),
        ("http://localhost:9000/logo.png", "http://localhost:9000"),
        ("javascript:alert(1)", None),
        ("data:image/svg+xml,<svg/>", None),
        ("https://user@cdn.example/logo.png", None),
        ("https://cdn.example;script-src:*/logo.png", None),
        ("https://cdn.example 'unsafe-inline'/x", None),
    ],
)
def test_only_a_plain_http_origin_becomes_an_image_source(url: str, source: str | None) -> None:
    assert image_source(url) == source


def test_the_image_source_joins_the_policy_img_src() -> None:
    policy = with_image_source(CONTENT_SECURITY_POLICY, "https://cdn.shop.example")
    assert "img-src 'self' data: https://cdn.shop.example;" in policy
    assert policy.count("img-src") == 1
    assert with_image_source("default-src 'none'", "https://a.example") == (
        "default-src 'none'; img-src https://a.example"
    )


# -- the application ---------------------------------------------------------------------------


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "brand_name": "Acme",
        "brand_color": "#5b2a86",
        "brand_logo_url": DEPLOYMENT_LOGO,
        "dev_mailbox": True,  # mail is kept, to read its subject
    }


@pytest.fixture
def provider(app: FastAPI) -> Provider:
    running: Provider = app.state.provider
    return running


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with http_client(app, ISSUER) as http:
        yield Browser(http)


@pytest.fixture
async def shop(provider: Provider) -> RelyingParty:
    return await register_rp(provider, logo_uri=SHOP_LOGO, brand_color="#e4002b")


async def sign_in_page(browser: Browser, rp: RelyingParty) -> httpx.Response:
    started = await browser.authorize(authorization_params(rp))
    assert started.status_code == 302, started.text
    return await browser.open(started.headers["location"])


def assert_branded(page: httpx.Response, name: str, logo: str | None) -> None:
    if logo is None:
        assert f'<p class="brand-name">{name}</p>' in page.text
        assert "brand-logo" not in page.text
        assert "img-src 'self' data:;" in page.headers["content-security-policy"]
    else:
        assert f'<img class="brand-logo" src="{logo}" alt="{name}">' in page.text
        source = image_source(logo)
        assert f"img-src 'self' data: {source};" in page.headers["content-security-policy"]


async def test_pages_outside_a_client_sign_in_wear_the_deployment_brand(
    browser: Browser,
) -> None:
    for path in ("/reset", "/login?flow=gone"):
        page = await browser.open(path)
        assert_branded(page, "Acme", DEPLOYMENT_LOGO)
        assert '<link rel="stylesheet" href="/brand.css">' in page.text


async def test_the_deployment_colours_come_from_settings(browser: Browser) -> None:
    response = await browser.open("/brand.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.text == stylesheet("#5b2a86")


async def test_a_client_colours_its_stylesheet_and_an_unknown_one_gets_the_default(
    browser: Browser, shop: RelyingParty
) -> None:
    own = await browser.open(f"/brand.css?{urlencode({'client': shop.client_id})}")
    unknown = await browser.open("/brand.css?client=nobody")
    assert own.text == stylesheet("#e4002b")
    assert unknown.text == stylesheet("#5b2a86")


async def test_the_sign_in_page_wears_the_brand_of_the_client_asking(
    browser: Browser, shop: RelyingParty
) -> None:
    page = await sign_in_page(browser, shop)
    assert_branded(page, "Shop", SHOP_LOGO)
    stylesheet_url = f"/brand.css?{urlencode({'client': shop.client_id})}"
    assert f'<link rel="stylesheet" href="{stylesheet_url}">' in page.text
    assert "form-action" not in page.headers["content-security-policy"]


async def test_a_client_without_a_logo_shows_its_name_not_another_logo(
    browser: Browser, provider: Provider
) -> None:
    plain = await register_rp(provider, name="Plain & Simple")
    page = await sign_in_page(browser, plain)
    assert_branded(page, "Plain &amp; Simple", None)


async def test_registration_and_consent_wear_the_client_brand(
    browser: Browser, provider: Provider, shop: RelyingParty
) -> None:
    page = await sign_in_page(browser, shop)
    register = await browser.open(f"/register?{urlencode({'flow': flow_id(page.text)})}")
    assert_branded(register, "Shop", SHOP_LOGO)

    await add_customer(provider)
    signed_in = await browser.submit(page, "/login", email=EMAIL, password=PASSWORD)
    assert "/consent?" in signed_in.headers["location"]
    consent = await browser.open(signed_in.headers["location"])
    assert_branded(consent, "Shop", SHOP_LOGO)
    assert "<h1>Allow Shop to access your account?</h1>" in consent.text


async def test_the_client_brand_ends_with_the_request_that_verified_the_client(
    browser: Browser, shop: RelyingParty
) -> None:
    await sign_in_page(browser, shop)
    assert_branded(await browser.open("/reset"), "Acme", DEPLOYMENT_LOGO)


async def test_an_unverified_request_cannot_borrow_a_client_brand(
    browser: Browser, shop: RelyingParty
) -> None:
    """An unregistered redirect_uri gets an error page, in the deployment's name."""
    params = authorization_params(shop, redirect_uri="https://evil.example/cb")
    page = await browser.authorize(params)
    assert page.status_code == 400
    assert_branded(page, "Acme", DEPLOYMENT_LOGO)


async def test_mail_carries_the_name_of_the_client_whose_sign_in_sent_it(
    browser: Browser, provider: Provider, shop: RelyingParty
) -> None:
    await add_customer(provider)
    page = await sign_in_page(browser, shop)
    await browser.submit(page, "/login", method="magic_link", email=EMAIL)
    reset = await browser.open("/reset")
    await browser.http.post("/reset", data={"csrf_token": csrf_token(reset.text), "email": EMAIL})

    outbox, mailbox = provider.sign_in.outbox, provider.sign_in.mailbox
    assert outbox is not None
    assert mailbox is not None
    await outbox.drain()
    subjects = sorted(message.subject for message in await mailbox.list())
    assert subjects == ["Reset your password for Acme", "Your sign-in link for Shop"]
