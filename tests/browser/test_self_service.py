"""Self-service in Chromium: sign up with a mailed code, recover a password, and the account
page's actions, each as a customer would click through them."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, Page

from tests.browser.conftest import (
    PASSWORD,
    Site,
    allow_if_asked,
    authorization,
    catch_callback,
    create_user,
    link_in,
    mail_text,
    redeem,
    sign_in_with_password,
)

NEW_PASSWORD = "another quite long passphrase 38"


async def submit(page: Page, field: str) -> None:
    """Press the submit button of the form that holds `field`, and wait for the answer."""
    form = page.locator("form").filter(has=page.locator(field)).first
    async with page.expect_navigation():
        await form.locator("button[type=submit]").click()


async def test_sign_up_with_the_mailed_code_then_the_client_gets_a_verified_account(
    site: Site, context: BrowserContext
) -> None:
    page = await context.new_page()
    arrived = await catch_callback(page, site)
    auth = authorization(site)
    await page.goto(auth.url)
    await page.locator('a[href*="/register?"]').click()
    await page.fill("#email", "newcomer@example.com")
    await page.fill("#password", PASSWORD)
    await page.fill("#name", "New Comer")
    await submit(page, "#email")

    [mail] = await site.mail_to("newcomer@example.com")
    code = re.search(r"\b(\d{6})\b", mail_text(mail))
    assert code, mail_text(mail)
    await page.fill("#code", code[1])
    await submit(page, "#code")
    await allow_if_asked(page)
    claims = await redeem(site, await arrived.next(), auth)
    assert claims["email"] == "newcomer@example.com"
    assert claims["email_verified"] is True
    assert claims["name"] == "New Comer"


async def test_a_password_reset_signs_out_every_old_session(
    site: Site, context: BrowserContext, chromium_context_2: BrowserContext
) -> None:
    create_user(site, "forgetful@example.com")
    laptop = await context.new_page()
    arrived = await catch_callback(laptop, site)
    first = authorization(site)
    await laptop.goto(first.url)
    await sign_in_with_password(laptop, "forgetful@example.com")
    await allow_if_asked(laptop)
    await redeem(site, await arrived.next(), first)

    phone = await chromium_context_2.new_page()
    await phone.goto(authorization(site).url)
    await phone.locator('a[href*="/reset?"]').click()
    await phone.fill("#email", "forgetful@example.com")
    await submit(phone, "#email")
    [mail] = await site.mail_to("forgetful@example.com")
    await phone.goto(link_in(mail, site.issuer))
    await phone.fill("#password", NEW_PASSWORD)
    await phone.fill("#password_again", NEW_PASSWORD)
    await submit(phone, "#password")

    # The laptop's session is gone: its account page asks it to sign in again.
    await laptop.goto(f"{site.issuer}/account")
    assert urlsplit(laptop.url).path == "/login"
    # The old password no longer works; the new one does.
    again = authorization(site)
    await laptop.goto(again.url)
    await sign_in_with_password(laptop, "forgetful@example.com", PASSWORD)
    await laptop.locator("#login-error").wait_for()
    await sign_in_with_password(laptop, "forgetful@example.com", NEW_PASSWORD)
    await allow_if_asked(laptop)
    assert (await redeem(site, await arrived.next(), again))["email"] == "forgetful@example.com"


async def test_the_account_page_edits_revokes_exports_and_deletes(
    site: Site, context: BrowserContext
) -> None:
    user = create_user(site, "tidy@example.com")
    page = await context.new_page()
    arrived = await catch_callback(page, site)
    auth = authorization(site)
    await page.goto(auth.url)
    await sign_in_with_password(page, "tidy@example.com")
    await allow_if_asked(page)
    await redeem(site, await arrived.next(), auth)
    account = f"{site.issuer}/account"

    await page.goto(f"{account}/profile")
    await page.fill("#profile-name", "Tidy Person")
    await submit(page, "#profile-name")
    await page.goto(f"{account}/profile")
    assert await page.input_value("#profile-name") == "Tidy Person"

    await page.goto(f"{account}/sessions")
    assert await page.locator('input[name="session_id"]').count() == 0  # only this browser
    assert "Chrome" in await page.locator("main").inner_text()

    await page.goto(f"{account}/apps")
    assert await page.locator('input[name="client_id"]').count() == 1, await page.content()
    await submit(page, 'input[name="client_id"]')
    await page.goto(f"{account}/apps")
    assert await page.locator('input[name="client_id"]').count() == 0

    async with page.expect_download() as download:
        await page.evaluate("url => { window.location.href = url; }", f"{account}/export")
    exported = json.loads((await (await download.value).path()).read_text())
    assert exported["account"]["email"] == "tidy@example.com"
    assert exported["account"]["profile"]["name"] == "Tidy Person"
    assert "password_hash" not in json.dumps(exported)

    await page.goto(f"{account}/delete")
    await page.fill("#delete-email", "tidy@example.com")
    await submit(page, "#delete-email")
    await page.wait_for_url(re.compile(r"/account/deleted"))
    shown = site.workspace.run("users", "show", user["sub"])
    assert shown.returncode != 0  # the account is gone
