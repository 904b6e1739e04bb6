"""A forgotten password, end to end: the sign-in page's "forgot your password" link, the mail
through a real SMTP server, the emailed link, and what a reset ends (sessions, refresh tokens).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.store.password_resets import PasswordResetRow
from tests.spec.browser import (
    PASSWORD,
    REDIRECT_URI,
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    callback_params,
    csrf_token,
    redeem,
    register_rp,
)
from tests.spec.http import http_client
from tests.spec.issued_tokens import Party, refresh
from tests.spec.self_service.conftest import ISSUER, Inbox

EMAIL = "alice@example.com"
NEW_PASSWORD = "a brand new passphrase"
_LINK = re.compile(re.escape(ISSUER) + r"(/reset/confirm\?token=[\w-]+)")


async def sign_in_page(browser: Browser, rp: RelyingParty) -> tuple[str, httpx.Response]:
    """An authorization request's sign-in page, and the flow it belongs to."""
    started = await browser.authorize(authorization_params(rp))
    location = started.headers["location"]
    return parse_qs(urlsplit(location).query)["flow"][0], await browser.open(location)


async def ask_for_link(browser: Browser, email: str, flow_id: str = "") -> httpx.Response:
    page = await browser.open("/reset?" + urlencode({"flow": flow_id}))
    assert page.status_code == 200
    fields = {"csrf_token": csrf_token(page.text), "email": email, "flow": flow_id}
    return await browser.http.post("/reset", data=fields)


async def mailed_link(inbox: Inbox, address: str = EMAIL) -> str:
    """The path and query of the reset link in the one mail `address` received."""
    found = _LINK.search(await inbox.text_to(address))
    assert found, "the mail carries a reset link"
    return found[1]


async def choose_password(
    browser: Browser, link: str, password: str, again: str | None = None
) -> httpx.Response:
    page = await browser.open(link)
    assert page.status_code == 200, page.text
    fields = {
        "csrf_token": csrf_token(page.text),
        "token": parse_qs(urlsplit(link).query)["token"][0],
        "password": password,
        "password_again": password if again is None else again,
    }
    return await browser.http.post("/reset/confirm", data=fields)


async def signs_in(app: FastAPI, rp: RelyingParty, password: str) -> bool:
    """Whether a browser of its own signs in to `rp` with `password`."""
    async with http_client(app, ISSUER) as http:
        browser = Browser(http)
        _, page = await sign_in_page(browser, rp)
        done = await browser.submit(page, "/login", email=EMAIL, password=password)
        return done.status_code == 303 and done.headers["location"].startswith(REDIRECT_URI)


async def test_the_sign_in_page_links_to_the_reset_of_its_own_flow(
    browser: Browser, provider: Provider
) -> None:
    rp = await register_rp(provider, first_party=True)
    flow_id, page = await sign_in_page(browser, rp)
    assert f'href="/reset?{urlencode({"flow": flow_id})}"' in page.text
    form = await browser.open(f"/reset?{urlencode({'flow': flow_id})}")
    assert f'name="flow" value="{flow_id}"' in form.text


async def test_a_known_address_gets_a_link_an_unknown_one_nothing_and_both_the_same_answer(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    known = await ask_for_link(browser, EMAIL, "flow-1")
    unknown = await ask_for_link(browser, "mallory@example.com", "flow-1")
    assert (known.status_code, known.headers["location"]) == (303, "/reset/sent?flow=flow-1")
    assert (unknown.status_code, unknown.headers["location"]) == (303, "/reset/sent?flow=flow-1")
    assert known.content == unknown.content
    sent = await browser.open(known.headers["location"])
    assert "If an account exists for that address, we sent it a link" in sent.text
    assert 'href="/login?flow=flow-1"' in sent.text

    [message] = await inbox.mail_to(EMAIL)
    assert message["Subject"] == "Reset your password for ciam-oidc"
    assert await inbox.mail_to("mallory@example.com") == []


async def test_opening_the_link_spends_nothing_and_it_resets_the_password_once(
    app: FastAPI, browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider, first_party=True)
    flow_id, _ = await sign_in_page(browser, rp)
    await ask_for_link(browser, EMAIL, flow_id)
    link = await mailed_link(inbox)
    for _ in range(2):  # a mail scanner, then the person
        opened = await browser.open(link)
        assert opened.status_code == 200
        assert EMAIL in opened.text

    done = await choose_password(browser, link, NEW_PASSWORD)
    assert done.status_code == 303
    assert done.headers["location"] == f"/reset/done?{urlencode({'flow': flow_id})}"
    finished = await browser.open(done.headers["location"])
    assert f'href="/login?{urlencode({"flow": flow_id})}"' in finished.text
    assert (await browser.open(link)).status_code == 410

    # The sign-in the person left goes on, with the new password.
    back = await browser.open(f"/login?{urlencode({'flow': flow_id})}")
    done = await browser.submit(back, "/login", email=EMAIL, password=NEW_PASSWORD)
    assert callback_params(done)["state"] == "s-123"
    assert await signs_in(app, rp, NEW_PASSWORD)
    assert not await signs_in(app, rp, PASSWORD)


async def test_a_link_cannot_be_used_twice(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    await ask_for_link(browser, EMAIL)
    link = await mailed_link(inbox)
    page = await browser.open(link)
    token = parse_qs(urlsplit(link).query)["token"][0]
    fields = {"csrf_token": csrf_token(page.text), "token": token}
    first = await browser.http.post(
        "/reset/confirm", data={**fields, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert first.status_code == 303
    again = "yet another passphrase"
    second = await browser.http.post(
        "/reset/confirm", data={**fields, "password": again, "password_again": again}
    )
    assert second.status_code == 410
    assert "expired or was already used" in second.text


async def test_an_expired_link_is_refused(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    await ask_for_link(browser, EMAIL)
    link = await mailed_link(inbox)
    async with provider.database.sessions.begin() as session:
        await session.execute(update(PasswordResetRow).values(expires_at=utc_now()))
    opened = await browser.open(link)
    assert opened.status_code == 410
    assert "This link cannot be used" in opened.text


async def test_a_weak_password_is_refused_with_the_policys_words_and_the_link_stays_good(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    await ask_for_link(browser, EMAIL)
    link = await mailed_link(inbox)
    refused = await choose_password(browser, link, "password")
    assert refused.status_code == 200
    assert "one of the most common ones" in refused.text
    short = await choose_password(browser, link, "short")
    assert "at least 8 characters" in short.text
    assert (await choose_password(browser, link, NEW_PASSWORD)).status_code == 303


async def test_two_different_passwords_are_refused(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    await ask_for_link(browser, EMAIL)
    link = await mailed_link(inbox)
    refused = await choose_password(browser, link, NEW_PASSWORD, "a brand new passphrasf")
    assert refused.status_code == 200
    assert "The two passwords are not the same." in refused.text
    assert (await choose_password(browser, link, NEW_PASSWORD)).status_code == 303


async def test_asking_without_the_pages_csrf_token_is_refused(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    response = await browser.http.post("/reset", data={"email": EMAIL})
    assert response.status_code == 403
    assert await inbox.mail_to(EMAIL) == []


async def test_a_reset_signs_out_every_browser_and_kills_every_refresh_token(
    app: FastAPI, browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider, first_party=True)
    party = Party(rp.client_id, rp.secret)
    params = authorization_params(rp, scope="openid offline_access")
    tokens = await redeem(browser, rp, await browser.sign_in(await browser.authorize(params)))
    refreshed = await refresh(browser.http, party, tokens["refresh_token"])
    assert refreshed.status_code == 200
    silent = await browser.authorize(authorization_params(rp, prompt="none"))
    assert "code" in callback_params(silent)

    async with http_client(app, ISSUER) as phone_http:  # the phone that reads the mail
        phone = Browser(phone_http)
        await ask_for_link(phone, EMAIL)
        link = await mailed_link(inbox)
        assert (await choose_password(phone, link, NEW_PASSWORD)).status_code == 303

    silent = await browser.authorize(authorization_params(rp, prompt="none"))
    assert callback_params(silent)["error"] == "login_required"
    refused = await refresh(browser.http, party, refreshed.json()["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
