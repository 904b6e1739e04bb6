"""Changing one's password and email address from the account pages, through the scripted
browser and the whole application, with mail through a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import EventType
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.authorizations import Authentication
from tests.spec.browser import PASSWORD, Browser, add_customer, csrf_token
from tests.spec.http import http_client
from tests.spec.self_service.conftest import ISSUER, Inbox

EMAIL = "alice@example.com"
NEW_EMAIL = "alice.new@example.com"
NEW_PASSWORD = "a brand new passphrase"
COOKIE = "__Host-ciam_session"
FORMS = {  # each form, with the page it is on
    "/account/password": "/account/password",
    "/account/email": "/account/email",
    "/account/email/confirm": "/account/email/confirm",
}


async def follow(browser: Browser, response: httpx.Response) -> httpx.Response:
    while response.is_redirect:
        response = await browser.open(response.headers["location"])
    return response


async def sign_in(browser: Browser, email: str = EMAIL, password: str = PASSWORD) -> httpx.Response:
    """Sign in from the account page, as a person sent there to sign in would."""
    login_page = await follow(browser, await browser.open("/account"))
    done = await browser.submit(login_page, "/login", email=email, password=password)
    return await follow(browser, done)


async def post_form(browser: Browser, page_path: str, action: str, **fields: str) -> httpx.Response:
    page = await browser.open(page_path)
    assert page.status_code == 200, page.text
    return await browser.http.post(action, data={"csrf_token": csrf_token(page.text), **fields})


async def change_password(browser: Browser, current: str, new: str) -> httpx.Response:
    return await post_form(
        browser,
        "/account/password",
        "/account/password",
        current_password=current,
        password=new,
        password_again=new,
    )


async def signs_in(app: FastAPI, email: str, password: str) -> bool:
    """Whether a browser of its own reaches the account page with these credentials."""
    async with http_client(app, ISSUER) as http:
        home = await sign_in(Browser(http), email, password)
        return home.status_code == 200 and "Your account" in home.text


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, "the mail carries a code"
    return found[1]


@pytest.mark.parametrize("path", ["/account/password", "/account/email", "/account/email/confirm"])
async def test_without_a_session_the_pages_send_the_browser_to_sign_in(
    browser: Browser, path: str
) -> None:
    response = await browser.open(path)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/account/login"
    assert parse_qs(location.query) == {"next": [path]}


@pytest.mark.parametrize("action", FORMS)
async def test_a_form_without_its_csrf_token_is_refused(
    browser: Browser, provider: Provider, action: str
) -> None:
    await add_customer(provider)
    await sign_in(browser)
    fields = {"current_password": PASSWORD, "password": NEW_PASSWORD, "email": NEW_EMAIL}
    response = await browser.http.post(action, data=fields)
    assert response.status_code == 403


@pytest.mark.parametrize("action", FORMS)
async def test_a_form_sent_after_an_old_sign_in_asks_to_sign_in_again_and_comes_back(
    browser: Browser, provider: Provider, action: str
) -> None:
    sub = await add_customer(provider)
    long_ago = utc_now() - timedelta(hours=1)
    sessions = provider.interactions.sessions
    cookie, _ = await sessions.start(Authentication(sub, long_ago, "1", ("pwd",)), long_ago)
    browser.http.cookies.set(COOKIE, cookie, domain=urlsplit(ISSUER).hostname)
    response = await browser.http.post(action, data={"password": NEW_PASSWORD})
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/account/login"
    assert parse_qs(location.query) == {"next": [FORMS[action]], "fresh": ["1"]}


# -- password -------------------------------------------------------------------------------


async def test_a_password_change_needs_the_current_password_and_keeps_this_browser_signed_in(
    app: FastAPI, browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    await sign_in(browser)
    async with http_client(app, ISSUER) as other_http:
        other = Browser(other_http)
        assert (await sign_in(other)).status_code == 200

        wrong = await change_password(browser, "not my password", NEW_PASSWORD)
        assert wrong.status_code == 200
        assert "That is not your current password." in wrong.text
        assert (await other.open("/account")).status_code == 200

        changed = await change_password(browser, PASSWORD, NEW_PASSWORD)
        assert changed.status_code == 200
        assert "Password changed" in changed.text
        assert (await browser.open("/account")).status_code == 200
        assert (await other.open("/account")).status_code == 303

    assert await signs_in(app, EMAIL, NEW_PASSWORD)
    assert not await signs_in(app, EMAIL, PASSWORD)
    assert EventType.PASSWORD_CHANGED in [event.type for event in await provider.audit.of(sub)]


async def test_a_weak_new_password_is_refused_with_the_policys_words(
    app: FastAPI, browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    await sign_in(browser)
    refused = await change_password(browser, PASSWORD, "password")
    assert refused.status_code == 200
    assert "one of the most common ones" in refused.text
    mismatch = await post_form(
        browser,
        "/account/password",
        "/account/password",
        current_password=PASSWORD,
        password=NEW_PASSWORD,
        password_again=NEW_PASSWORD + "!",
    )
    assert "The two passwords are not the same." in mismatch.text
    assert await signs_in(app, EMAIL, PASSWORD)


# -- email address --------------------------------------------------------------------------


async def ask_for_code(browser: Browser, address: str) -> httpx.Response:
    asked = await post_form(browser, "/account/email", "/account/email", email=address)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/account/email/confirm"
    return await browser.open(asked.headers["location"])


async def enter_code(browser: Browser, code: str) -> httpx.Response:
    return await post_form(browser, "/account/email/confirm", "/account/email/confirm", code=code)


async def test_an_email_change_needs_the_code_mailed_to_the_new_address(
    app: FastAPI, browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    sub = await add_customer(provider)
    await sign_in(browser)
    confirm_page = await ask_for_code(browser, NEW_EMAIL)
    assert NEW_EMAIL in confirm_page.text
    code = code_in(await inbox.text_to(NEW_EMAIL))

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await enter_code(browser, wrong)
    assert "That code is not right." in refused.text
    user = await provider.users.get_user(sub)
    assert user is not None
    assert user.email == EMAIL

    done = await enter_code(browser, code)
    assert done.status_code == 200
    assert f"You now sign in with <strong>{NEW_EMAIL}</strong>" in done.text
    user = await provider.users.get_user(sub)
    assert user is not None
    assert (user.email, user.email_verified) == (NEW_EMAIL, True)
    [notice] = await inbox.mail_to(EMAIL)
    assert notice["Subject"] == "Your email address for ciam-oidc was changed"
    assert await signs_in(app, NEW_EMAIL, PASSWORD)
    assert not await signs_in(app, EMAIL, PASSWORD)
    assert EventType.EMAIL_CHANGED in [event.type for event in await provider.audit.of(sub)]


async def test_the_address_page_shows_the_current_address_and_a_pending_one(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    await sign_in(browser)
    page = await browser.open("/account/email")
    assert EMAIL in page.text
    assert NEW_EMAIL not in page.text
    await ask_for_code(browser, NEW_EMAIL)
    page = await browser.open("/account/email")
    assert f"A code is on its way to <strong>{NEW_EMAIL}</strong>" in page.text
    assert len(await inbox.mail_to(NEW_EMAIL)) == 1


async def test_the_code_page_without_a_pending_change_goes_back_to_the_address_page(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    await sign_in(browser)
    response = await browser.open("/account/email/confirm")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/email"


async def test_an_address_that_is_not_one_is_refused_on_the_page(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    await sign_in(browser)
    refused = await post_form(browser, "/account/email", "/account/email", email="not an address")
    assert refused.status_code == 200
    assert "Enter a valid email address." in refused.text
    assert 'value="not an address"' in refused.text


async def test_an_address_of_another_account_is_refused_kindly_after_the_code(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    sub = await add_customer(provider)
    await add_customer(provider, "bob@example.com")
    await sign_in(browser)
    await ask_for_code(browser, "bob@example.com")
    code = code_in(await inbox.text_to("bob@example.com"))
    refused = await enter_code(browser, code)
    assert refused.status_code == 200
    assert "That address belongs to another account." in refused.text
    user = await provider.users.get_user(sub)
    assert user is not None
    assert user.email == EMAIL
    assert await inbox.mail_to(EMAIL) == []
