"""The harness itself: a password sign-in through the sign-in page reaches the client."""

from __future__ import annotations

from playwright.async_api import BrowserContext

from tests.browser.conftest import (
    Site,
    allow_if_asked,
    authorization,
    catch_callback,
    create_user,
    redeem,
    sign_in_with_password,
)


async def test_a_password_sign_in_reaches_the_client(site: Site, context: BrowserContext) -> None:
    user = create_user(site, "smoke@example.com")
    page = await context.new_page()
    arrived = await catch_callback(page, site)
    auth = authorization(site)
    await page.goto(auth.url)
    await sign_in_with_password(page, "smoke@example.com")
    await allow_if_asked(page)
    claims = await redeem(site, await arrived.next(), auth)
    assert claims["sub"] == user["sub"]
