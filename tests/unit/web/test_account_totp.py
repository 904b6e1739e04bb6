"""/account/totp through HTTP: the pages a person uses to add and manage an authenticator app.

The router runs in a small app of real components on a real database, as app.py would wire it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from fastapi import FastAPI

from ciam_oidc.authn.recovery_codes import RecoveryCodes
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.authn.totp_enrolment import TotpEnrolment
from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.users import UserRequest, new_user
from ciam_oidc.store.database import Database
from ciam_oidc.store.sessions import SqlSessionStore
from ciam_oidc.store.totp import SqlTotpStore
from ciam_oidc.store.users import SqlUserStore
from ciam_oidc.web.account import AccountGuard, local_path
from ciam_oidc.web.account_totp import totp_router
from ciam_oidc.web.csrf import CsrfProtection
from ciam_oidc.web.outcomes import OutcomePages
from ciam_oidc.web.pages import Pages
from ciam_oidc.web.session_cookie import SessionCookie

MASTER = b"test master secret for the account pages"
NOW = datetime(2026, 3, 29, 1, 30, 10, tzinfo=UTC)
EMAIL = "ada@example.com"
RECOVERY_CODE = re.compile(r"\b[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{2}\b")


@dataclass
class Site:
    client: httpx.AsyncClient
    sessions: Sessions
    cookie: SessionCookie
    enrolment: TotpEnrolment
    sub: str

    async def sign_in(self, signed_in_at: datetime = NOW) -> None:
        authentication = Authentication(self.sub, signed_in_at, "0", ("pwd",))
        value, _ = await self.sessions.start(authentication, signed_in_at)
        self.client.cookies.set(self.cookie.name, value)

    async def post(self, path: str, page: httpx.Response, **form: str) -> httpx.Response:
        """Submit a form of `page`, with the CSRF token it carries."""
        return await self.client.post(path, data={"csrf_token": csrf_token(page), **form})


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    database = Database(database_url)
    user = new_user(UserRequest(email=EMAIL), None, NOW)
    await SqlUserStore(database).add_user(user)
    sessions = Sessions(SqlSessionStore(database), timedelta(hours=1))
    cookie = SessionCookie(secure=False, max_age=3600)
    guard = AccountGuard(sessions, cookie, "", lambda: NOW)
    outcomes = OutcomePages(Pages(), CsrfProtection(MASTER, secure=False), "")
    enrolment = TotpEnrolment(
        SqlTotpStore(database),
        SecretBox(MASTER, "totp"),
        RecoveryCodes(MASTER),
        "Example Shop",
        lambda: NOW,
    )

    async def account_name(sub: str) -> str:
        found = await SqlUserStore(database).get_user(sub)
        assert found is not None
        return found.email

    app = FastAPI()
    app.include_router(totp_router(guard, outcomes, enrolment, account_name))
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield Site(client, sessions, cookie, enrolment, user.sub)
    await database.dispose()


def csrf_token(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF-protected form"
    return match.group(1)


def manual_key(page: httpx.Response) -> str:
    match = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page.text)
    assert match, "the page shows no key to type"
    return match.group(1)


def code_from_app(page: httpx.Response) -> str:
    """What an app that was given the page's key shows now."""
    return pyotp.TOTP(manual_key(page).replace(" ", "")).at(NOW)


async def enrol(site: Site) -> httpx.Response:
    page = await site.client.get("/account/totp")
    return await site.post("/account/totp", page, code=code_from_app(page))


async def test_the_page_needs_a_signed_in_session(site: Site) -> None:
    response = await site.client.get("/account/totp")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/account/login"
    assert parse_qs(location.query) == {"next": ["/account/totp"]}


async def test_an_old_sign_in_is_not_enough(site: Site) -> None:
    await site.sign_in(signed_in_at=NOW - timedelta(minutes=30))
    response = await site.client.get("/account/totp")
    assert response.status_code == 303
    assert "fresh=1" in response.headers["location"]


async def test_the_page_shows_a_qr_code_and_the_key_in_blocks_of_four(site: Site) -> None:
    await site.sign_in()
    page = await site.client.get("/account/totp")
    assert page.status_code == 200
    assert '<svg viewBox="' in page.text  # rendered as markup, not escaped text
    assert "&lt;svg" not in page.text
    key = manual_key(page)
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", key)
    pending = await site.enrolment.pending(site.sub, EMAIL)
    assert pending is not None
    assert key.replace(" ", "") == pending.secret
    assert page.headers["cache-control"] == "no-store"
    # On the phone itself, scanning is impossible: the link hands the key to the app.
    assert 'href="otpauth://totp/Example%20Shop:ada%40example.com?secret=' in page.text


async def test_reloading_the_page_keeps_the_key(site: Site) -> None:
    await site.sign_in()
    first = await site.client.get("/account/totp")
    again = await site.client.get("/account/totp")
    assert manual_key(again) == manual_key(first)


async def test_a_code_from_the_app_turns_it_on_and_shows_ten_recovery_codes(site: Site) -> None:
    await site.sign_in()
    response = await enrol(site)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    codes = RECOVERY_CODE.findall(response.text)
    assert len(set(codes)) == 10
    assert "shown only now" in response.text
    assert (await site.enrolment.status(site.sub)) == (True, 10)

    page = await site.client.get("/account/totp")
    assert "10 recovery codes left" in page.text
    assert "<svg" not in page.text


async def test_a_wrong_code_shows_the_same_key_again_with_an_error(site: Site) -> None:
    await site.sign_in()
    page = await site.client.get("/account/totp")
    right = code_from_app(page)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = await site.post("/account/totp", page, code=wrong)
    assert response.status_code == 200
    assert 'role="alert"' in response.text
    assert "did not match" in response.text
    assert manual_key(response) == manual_key(page)
    assert not (await site.enrolment.status(site.sub)).enrolled


async def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    await site.sign_in()
    page = await site.client.get("/account/totp")
    response = await site.client.post("/account/totp", data={"code": code_from_app(page)})
    assert response.status_code == 403
    assert not (await site.enrolment.status(site.sub)).enrolled


async def test_a_token_for_the_enrolment_form_cannot_remove_the_app(site: Site) -> None:
    await site.sign_in()
    enrol_page = await site.client.get("/account/totp")
    await site.post("/account/totp", enrol_page, code=code_from_app(enrol_page))
    response = await site.post("/account/totp/remove", enrol_page)
    assert response.status_code == 403
    assert (await site.enrolment.status(site.sub)).enrolled


async def test_new_recovery_codes_replace_the_old_ones(site: Site) -> None:
    await site.sign_in()
    old = set(RECOVERY_CODE.findall((await enrol(site)).text))
    page = await site.client.get("/account/totp")
    response = await site.post("/account/totp/recovery-codes", page)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    new = set(RECOVERY_CODE.findall(response.text))
    assert len(new) == 10
    assert not new & old


async def test_removing_the_app_goes_back_to_the_page(site: Site) -> None:
    await site.sign_in()
    await enrol(site)
    page = await site.client.get("/account/totp")
    response = await site.post("/account/totp/remove", page)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/totp"
    assert (await site.enrolment.status(site.sub)) == (False, 0)


async def test_forms_need_a_session_and_come_back_to_the_page(site: Site) -> None:
    await site.sign_in()
    page = await site.client.get("/account/totp")
    site.client.cookies.delete(site.cookie.name)
    response = await site.post("/account/totp/remove", page)
    assert response.status_code == 303
    login = parse_qs(urlsplit(response.headers["location"]).query)
    assert login["next"] == ["/account/totp"]  # a form POST cannot be repeated: its page


async def test_the_recovery_codes_page_links_to_a_local_continue_path(site: Site) -> None:
    await site.sign_in()
    resume = "/login?flow=abc&step=2"
    page = await site.client.get("/account/totp", params={"continue": resume})
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action
    response = await site.post(
        action.group(1).replace("&amp;", "&"), page, code=code_from_app(page)
    )
    assert 'href="/login?flow=abc&amp;step=2">Continue</a>' in response.text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/\\/evil.example", "x/y"],
)
async def test_a_continue_target_off_this_site_is_ignored(site: Site, target: str) -> None:
    await site.sign_in()
    page = await site.client.get("/account/totp", params={"continue": target})
    response = await site.post(
        "/account/totp", page, code=code_from_app(page), **{"continue": target}
    )
    assert response.status_code == 200
    assert "evil.example" not in response.text
    assert "Continue</a>" not in response.text


@pytest.mark.parametrize(
    ("value", "local"),
    [
        ("/account", "/account"),
        ("/login?flow=1", "/login?flow=1"),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/a\\b", None),
        ("/a\tb", None),
        ("/a b", None),
        ("https://evil.example", None),
        ("", None),
        (None, None),
    ],
)
def test_only_paths_on_this_site_count_as_local(value: str | None, local: str | None) -> None:
    assert local_path(value) == local


def test_the_sign_in_partial_offers_a_code_and_a_recovery_code_form() -> None:
    context = {"action": "/login", "flow_id": "flow-1", "csrf_token": "token-1"}
    html = Pages().render("methods/totp.html", context).body.decode()
    forms = re.findall(r"<form .*?</form>", html, re.DOTALL)
    assert len(forms) == 2
    for form in forms:
        assert 'action="/login"' in form
        assert 'name="method" value="totp"' in form
        assert 'name="flow" value="flow-1"' in form
        assert 'name="csrf_token" value="token-1"' in form
    assert 'name="code"' in forms[0]
    assert 'autocomplete="one-time-code"' in forms[0]
    assert 'inputmode="numeric"' in forms[0]
    assert "Code from your authenticator app</label>" in forms[0]
    assert 'name="recovery_code"' in forms[1]
