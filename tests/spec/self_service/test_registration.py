"""Creating an account from the sign-in page, end to end: the code arrives over real SMTP, the
account is created with its address verified, and the authorization request that sent the
person here completes (OpenID Connect Core §3.1; Initiating User Registration via OpenID
Connect 1.0 for prompt=create)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import EventType
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.store.login_flows import LoginFlowRow
from ciam_oidc.store.registrations import PendingRegistrationRow
from tests.spec.browser import (
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    callback_params,
    csrf_token,
    id_token_claims,
    redeem,
    register_rp,
)
from tests.spec.self_service.conftest import ISSUER, Inbox
from tests.support.smtp import SmtpServer

NEW_EMAIL = "nina@example.com"
NEW_PASSWORD = "lantern zebra orchard"
_CODE = re.compile(r"Your code is (\d{6})")
_LINK = re.compile(re.escape(ISSUER) + r"(/register/verify\?\S+)")
# OpenID Connect Core §5.5: ask for the address in the ID token itself.
_EMAIL_IN_ID_TOKEN = json.dumps({"id_token": {"email": None, "email_verified": None}})


def field_value(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*? value="([^"]*)"', page.text)
    assert found, f"the form has no {name}"
    return html.unescape(found[1])


async def registration_page(browser: Browser, rp: RelyingParty, **params: str) -> httpx.Response:
    """From the client's authorization request, through the sign-in page's link."""
    started = await browser.authorize(authorization_params(rp, **params))
    login = await browser.open(started.headers["location"])
    link = re.search(r'href="([^"]*/register\?flow=[^"]+)"', login.text)
    assert link, "the sign-in page offers to create an account"
    page = await browser.open(html.unescape(link[1]))
    assert page.status_code == 200, page.text
    return page


async def register(
    browser: Browser, page: httpx.Response, email: str = NEW_EMAIL, **fields: str
) -> httpx.Response:
    answer = await browser.submit(
        page, "/register", email=email, password=NEW_PASSWORD, name="Nina", **fields
    )
    assert answer.status_code == 200, answer.text
    return answer


async def enter_code(browser: Browser, page: httpx.Response, code: str) -> httpx.Response:
    form = {
        "csrf_token": csrf_token(page.text),
        "registration": field_value(page, "registration"),
        "code": code,
    }
    return await browser.http.post("/register/verify", data=form)


def code_sent_notice(page: httpx.Response) -> str:
    found = re.search(r'<p class="notice" role="status">(.*?)</p>', page.text, re.DOTALL)
    assert found, "the page says where the code went"
    return " ".join(found[1].split())


async def test_a_new_account_confirms_its_address_and_the_code_flow_completes(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    rp = await register_rp(provider)
    page = await registration_page(browser, rp, claims=_EMAIL_IN_ID_TOKEN)
    code_page = await register(browser, page)
    assert code_sent_notice(code_page).startswith(
        f'We sent a 6-digit code to <strong id="register-email">{NEW_EMAIL}</strong>.'
    )
    code = _CODE.search(await inbox.text_to(NEW_EMAIL))
    assert code, "the mail carries the code"

    signed_in = await enter_code(browser, code_page, code[1])
    done = await browser.consent(signed_in)  # a third-party client asks for consent next
    assert callback_params(done)["state"] == "s-123"
    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert claims["email"] == NEW_EMAIL
    assert claims["email_verified"] is True
    assert claims["amr"] == ["pwd"]
    user = await provider.users.find_user_by_email(NEW_EMAIL)
    assert user is not None
    assert claims["sub"] == user.sub
    assert user.claims == {"name": "Nina"}
    events = {event.type for event in await provider.audit.of(user.sub)}
    assert {EventType.EMAIL_VERIFIED, EventType.ACCOUNT_REGISTERED} <= events


async def test_the_mailed_link_shows_a_confirmation_and_only_the_form_acts(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    rp = await register_rp(provider, first_party=True)
    await register(browser, await registration_page(browser, rp))
    link = _LINK.search(await inbox.text_to(NEW_EMAIL))
    assert link, "the mail carries a link"

    opened = await browser.open(link[1])  # what a mail scanner does, too
    assert opened.status_code == 200
    # Its form's answer redirects to the client, and on from there: no CSP form-action stops it.
    assert "form-action" not in opened.headers["content-security-policy"]
    assert await provider.users.find_user_by_email(NEW_EMAIL) is None
    code = _CODE.search(await inbox.text_to(NEW_EMAIL))
    assert code
    assert field_value(opened, "code") == code[1]
    done = await enter_code(browser, opened, code[1])
    assert callback_params(done)["state"] == "s-123"
    assert await provider.users.find_user_by_email(NEW_EMAIL) is not None


async def test_an_address_with_an_account_gets_the_same_page_and_a_mail_without_a_code(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    sub = await add_customer(provider, "alice@example.com")
    rp = await register_rp(provider)
    for_new = await register(browser, await registration_page(browser, rp))
    for_taken = await register(browser, await registration_page(browser, rp), "alice@example.com")

    assert for_new.status_code == for_taken.status_code == 200
    assert code_sent_notice(for_taken) == code_sent_notice(for_new).replace(
        NEW_EMAIL, "alice@example.com"
    )
    note = await inbox.text_to("alice@example.com")
    assert "You already have an account" in note
    assert not _CODE.search(note)
    assert not _LINK.search(note)
    assert [user.sub for user in await provider.users.list_users()] == [sub]


async def test_five_wrong_codes_end_the_registration(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    rp = await register_rp(provider)
    code_page = await register(browser, await registration_page(browser, rp))
    code = _CODE.search(await inbox.text_to(NEW_EMAIL))
    assert code
    wrong = f"{(int(code[1]) + 1) % 1_000_000:06d}"
    page = code_page
    for tries_left in (4, 3, 2, 1):
        page = await enter_code(browser, page, wrong)
        assert page.status_code == 200
        assert f"That code is not right. Check the email and try again ({tries_left} tr" in (
            page.text
        )
    dead = await enter_code(browser, page, wrong)
    assert dead.status_code == 400
    assert "typed wrong too many times" in dead.text
    assert (await enter_code(browser, page, code[1])).status_code == 400
    assert await provider.users.find_user_by_email(NEW_EMAIL) is None


async def test_an_expired_code_is_refused(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    rp = await register_rp(provider)
    code_page = await register(browser, await registration_page(browser, rp))
    code = _CODE.search(await inbox.text_to(NEW_EMAIL))
    assert code
    async with provider.database.sessions.begin() as session:
        await session.execute(update(PendingRegistrationRow).values(expires_at=utc_now()))
    refused = await enter_code(browser, code_page, code[1])
    assert refused.status_code == 400
    assert "This code has expired" in refused.text
    link = _LINK.search(await inbox.text_to(NEW_EMAIL))
    assert link
    assert (await browser.open(link[1])).status_code == 410
    assert await provider.users.find_user_by_email(NEW_EMAIL) is None


async def test_a_code_cannot_be_used_twice(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    rp = await register_rp(provider, first_party=True)
    code_page = await register(browser, await registration_page(browser, rp))
    code = _CODE.search(await inbox.text_to(NEW_EMAIL))
    assert code
    done = await enter_code(browser, code_page, code[1])
    assert callback_params(done)["state"] == "s-123"
    again = await enter_code(browser, code_page, code[1])
    assert again.status_code == 400
    assert "already used" in again.text
    assert len(await provider.users.list_users()) == 1


async def test_an_account_confirmed_after_its_sign_in_expired_is_ready_to_sign_in(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    rp = await register_rp(provider)
    code_page = await register(browser, await registration_page(browser, rp))
    code = _CODE.search(await inbox.text_to(NEW_EMAIL))
    assert code
    async with provider.database.sessions.begin() as session:
        await session.execute(update(LoginFlowRow).values(expires_at=utc_now()))
    ready = await enter_code(browser, code_page, code[1])
    assert ready.status_code == 200
    assert "<h1>Your account is ready</h1>" in ready.text
    assert "ciam_session" not in ready.headers.get("set-cookie", "")
    user = await provider.users.find_user_by_email(NEW_EMAIL)
    assert user is not None
    assert user.email_verified


class TestTerms:
    @pytest.fixture
    def settings_overrides(self, smtp: SmtpServer) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "dev_mailbox": False,
            "terms_version": "2026-01",
            "terms_url": "https://shop.example/terms",
        }

    async def test_the_terms_must_be_accepted_and_the_acceptance_is_recorded(
        self, browser: Browser, provider: Provider, inbox: Inbox
    ) -> None:
        rp = await register_rp(provider, first_party=True)
        page = await registration_page(browser, rp)
        assert '<a href="https://shop.example/terms">terms of service</a>' in page.text
        refused = await register(browser, page)
        assert "please accept the terms of service" in refused.text
        assert await inbox.mail_to(NEW_EMAIL) == []

        code_page = await register(browser, refused, terms="accepted")
        code = _CODE.search(await inbox.text_to(NEW_EMAIL))
        assert code
        await enter_code(browser, code_page, code[1])
        user = await provider.users.find_user_by_email(NEW_EMAIL)
        assert user is not None
        (registered,) = [
            event
            for event in await provider.audit.of(user.sub)
            if event.type is EventType.ACCOUNT_REGISTERED
        ]
        assert registered.details["terms_version"] == "2026-01"
        assert registered.details["terms_accepted_at"] <= registered.occurred_at.isoformat()


async def test_prompt_create_starts_on_the_registration_page(
    browser: Browser, provider: Provider
) -> None:
    rp = await register_rp(provider)
    started = await browser.authorize(authorization_params(rp, prompt="create"))
    assert started.status_code == 302
    assert started.headers["location"].startswith("/register?flow=")
    page = await browser.open(started.headers["location"])
    assert page.status_code == 200
    assert "<h1>Create an account</h1>" in page.text


async def test_a_client_that_does_not_allow_registration_offers_none(
    browser: Browser, provider: Provider
) -> None:
    rp = await register_rp(provider, allow_registration=False)
    started = await browser.authorize(authorization_params(rp))
    login = await browser.open(started.headers["location"])
    assert "/register" not in login.text
    flow = started.headers["location"].partition("flow=")[2]
    refused = await browser.open(f"/register?flow={flow}")
    assert refused.status_code == 403
    assert "Creating an account is not possible here" in refused.text


async def test_an_unknown_flow_cannot_register(browser: Browser) -> None:
    refused = await browser.open("/register?flow=nonsense")
    assert refused.status_code == 403


class TestWithoutMail:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"issuer": ISSUER, "dev_mailbox": False}

    async def test_without_mail_nobody_is_offered_registration_and_prompt_create_signs_in(
        self, browser: Browser, provider: Provider
    ) -> None:
        """An address cannot be verified without mail: the sign-in page shows no way to
        register, prompt=create lands on the sign-in page, and /register says why."""
        rp = await register_rp(provider)
        started = await browser.authorize(authorization_params(rp, prompt="create"))
        page = await browser.open(started.headers["location"])
        assert started.headers["location"].startswith("/login?flow=")
        assert "/register?" not in page.text
        refused = await browser.open(started.headers["location"].replace("/login", "/register"))
        assert refused.status_code in (403, 503)
