"""The account page: what a signed-in person sees and changes about their own account.

Everything goes through the scripted browser and the whole application; where a test says
data is gone, it reads the tables themselves.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pyotp
import pytest
from sqlalchemy import text

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import EventType
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.secrets import digest_secret
from ciam_oidc.protocol.authorizations import Authentication
from tests.spec.browser import (
    PASSWORD,
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    csrf_token,
    redeem,
    register_rp,
)
from tests.spec.issued_tokens import Party, refresh
from tests.spec.self_service.conftest import ISSUER
from tests.support.soft_authenticator import SoftAuthenticator

EMAIL = "alice@example.com"
CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
COOKIE = "__Host-ciam_session"
CHANGES = {  # every form that changes something, with the page it is on and a valid field
    "/account/profile": ("/account/profile", {"name": "Alice Liddell"}),
    "/account/sessions/end": ("/account/sessions", {"session_id": "x"}),
    "/account/sessions/end-others": ("/account/sessions", {}),
    "/account/apps/remove": ("/account/apps", {"client_id": "x"}),
    "/account/delete": ("/account/delete", {"email": EMAIL}),
}


async def follow(browser: Browser, response: httpx.Response) -> httpx.Response:
    while response.is_redirect:
        response = await browser.open(response.headers["location"])
    return response


async def sign_in(browser: Browser, email: str = EMAIL) -> httpx.Response:
    """Sign in from the account page, as a person following its redirect to sign in would."""
    login_page = await follow(browser, await browser.open("/account"))
    done = await browser.submit(login_page, "/login", email=email, password=PASSWORD)
    return await follow(browser, done)


async def start_session(
    provider: Provider, sub: str, *, user_agent: str = "", age: timedelta = timedelta()
) -> str:
    """A session as another browser (or this one, long ago) got it; its cookie value."""
    signed_in_at = utc_now() - age
    authentication = Authentication(sub, signed_in_at, "1", ("pwd",))
    cookie, _ = await provider.interactions.sessions.start(authentication, signed_in_at, user_agent)
    return cookie


def use_cookie(browser: Browser, value: str) -> None:
    browser.http.cookies.set(COOKIE, value, domain="id.example.com")


async def post_form(browser: Browser, page_path: str, action: str, **fields: str) -> httpx.Response:
    page = await browser.open(page_path)
    assert page.status_code == 200, page.text
    return await browser.http.post(action, data={"csrf_token": csrf_token(page.text), **fields})


async def count(provider: Provider, table: str, **where: str) -> int:
    condition = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
    async with provider.database.sessions() as db:
        found = await db.scalar(text(f"SELECT count(*) FROM {table} WHERE {condition}"), where)  # noqa: S608
        return int(found or 0)


async def connect_app(browser: Browser, provider: Provider) -> tuple[RelyingParty, dict[str, Any]]:
    """Sign in to a relying party through the browser, consent, and get its tokens."""
    rp = await register_rp(provider)
    params = authorization_params(rp, scope="openid email offline_access", prompt="consent")
    consent_page = await follow(browser, await browser.authorize(params))
    done = await browser.submit(consent_page, "/consent", decision="allow")
    return rp, await redeem(browser, rp, done)


# -- home -----------------------------------------------------------------------------------


async def test_the_home_page_names_the_account_and_links_every_section(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    home = await sign_in(browser)
    assert home.status_code == 200
    assert EMAIL in home.text
    links = set(re.findall(r'href="([^"]+)"', home.text))
    sections = ("profile", "password", "email", "passkeys", "totp", "sessions", "apps")
    expected = {f"/account/{section}" for section in sections}
    expected |= {"/account/activity", "/account/export", "/account/delete", "/logout"}
    assert expected <= links


@pytest.mark.parametrize(
    "path", ["/account", "/account/profile", "/account/sessions", "/account/apps"]
)
async def test_without_a_session_every_page_sends_the_browser_to_sign_in(
    browser: Browser, path: str
) -> None:
    response = await browser.open(path)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/account/login"
    assert parse_qs(location.query) == {"next": [path]}


# -- what every change requires -----------------------------------------------------------


@pytest.mark.parametrize("action", CHANGES)
async def test_a_change_without_the_pages_csrf_token_is_refused(
    browser: Browser, provider: Provider, action: str
) -> None:
    sub = await add_customer(provider)
    await sign_in(browser)
    _, fields = CHANGES[action]
    # As a browser posts the form, with its content type even when no field is left.
    form = {"content-type": "application/x-www-form-urlencoded"}
    response = await browser.http.post(action, content=urlencode(fields), headers=form)
    assert response.status_code == 403
    assert await provider.users.get_user(sub) is not None


@pytest.mark.parametrize("action", CHANGES)
async def test_a_change_after_an_old_sign_in_asks_to_sign_in_again_and_comes_back(
    browser: Browser, provider: Provider, action: str
) -> None:
    sub = await add_customer(provider)
    use_cookie(browser, await start_session(provider, sub, age=timedelta(hours=1)))
    page, fields = CHANGES[action]
    token_page = await browser.open("/account/profile")  # a live session may still read
    assert token_page.status_code == 200
    response = await browser.http.post(
        action, data={"csrf_token": csrf_token(token_page.text), **fields}
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/account/login"
    assert parse_qs(location.query) == {"next": [page], "fresh": ["1"]}
    user = await provider.users.get_user(sub)
    assert user is not None
    assert user.claims == {"name": "Alice"}


@pytest.mark.parametrize("path", ["/account/export", "/account/delete"])
async def test_the_data_download_and_the_deletion_page_need_a_recent_sign_in(
    browser: Browser, provider: Provider, path: str
) -> None:
    sub = await add_customer(provider)
    use_cookie(browser, await start_session(provider, sub, age=timedelta(hours=1)))
    response = await browser.open(path)
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query) == {
        "next": [path],
        "fresh": ["1"],
    }


# -- profile ------------------------------------------------------------------------------


async def test_a_saved_profile_is_what_relying_parties_receive(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    await sign_in(browser)
    saved = await post_form(
        browser,
        "/account/profile",
        "/account/profile",
        name="  Alice   Liddell ",
        given_name="Alice",
        family_name="Liddell",
        nickname="",
        locale="en_gb",
        zoneinfo="europe/london",
    )
    assert saved.status_code == 303
    page = await follow(browser, saved)
    assert "Your profile was saved." in page.text
    user = await provider.users.get_user(sub)
    assert user is not None
    assert user.claims == {
        "name": "Alice Liddell",
        "given_name": "Alice",
        "family_name": "Liddell",
        "locale": "en-GB",
        "zoneinfo": "Europe/London",
    }
    [event] = await provider.audit.store.events(sub=sub, types=[EventType.PROFILE_UPDATED])
    # Which claims changed, never what they now say.
    assert dict(event.details) == {"claims": "name,given_name,family_name,locale,zoneinfo"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 101, "Use at most 100 characters."),
        ("nickname", "Al\u200bice", "Use letters, numbers, spaces and punctuation only."),
        ("locale", "German", "Use a language code"),
        ("zoneinfo", "Mars/Olympus_Mons", "Use a time zone name"),
    ],
)
async def test_an_unusable_profile_value_is_explained_and_nothing_is_saved(
    browser: Browser, provider: Provider, field: str, value: str, message: str
) -> None:
    sub = await add_customer(provider)
    await sign_in(browser)
    response = await post_form(browser, "/account/profile", "/account/profile", **{field: value})
    assert response.status_code == 200
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    user = await provider.users.get_user(sub)
    assert user is not None
    assert user.claims == {"name": "Alice"}


# -- sessions -----------------------------------------------------------------------------


async def test_the_sessions_page_lists_each_browser_and_marks_this_one(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    await start_session(provider, sub, user_agent=FIREFOX_ON_WINDOWS)
    browser.http.headers["user-agent"] = CHROME_ON_LINUX
    await sign_in(browser)
    page = await browser.open("/account/sessions")
    assert "Chrome on Linux</strong> (this browser)" in page.text
    assert re.search(r"Firefox on Windows</strong>\s*<p>", page.text)
    assert page.text.count('name="session_id"') == 1  # this browser signs out by /logout


async def test_signing_out_another_browser_ends_that_session_only(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    other = await start_session(provider, sub, user_agent=FIREFOX_ON_WINDOWS)
    await sign_in(browser)
    [elsewhere] = [
        s
        for s in await provider.interactions.sessions.of(sub, utc_now())
        if s.user_agent == FIREFOX_ON_WINDOWS
    ]
    ended = await post_form(
        browser, "/account/sessions", "/account/sessions/end", session_id=elsewhere.id
    )
    assert ended.status_code == 303
    assert ended.headers["location"] == "/account/sessions"
    assert await provider.interactions.sessions.find(other, utc_now()) is None
    assert (await browser.open("/account")).status_code == 200
    [event] = await provider.audit.store.events(sub=sub, types=[EventType.SESSION_ENDED])
    assert dict(event.details) == {"session_id": elsewhere.id}


async def test_another_accounts_session_cannot_be_ended(
    browser: Browser, provider: Provider
) -> None:
    alice = await add_customer(provider)
    await start_session(provider, alice, user_agent=FIREFOX_ON_WINDOWS)  # a form to post from
    bob = await add_customer(provider, "bob@example.com")
    bobs_cookie = await start_session(provider, bob)
    bobs_session = await provider.interactions.sessions.find(bobs_cookie, utc_now())
    assert bobs_session is not None
    await sign_in(browser)
    response = await post_form(
        browser, "/account/sessions", "/account/sessions/end", session_id=bobs_session.id
    )
    assert response.status_code == 303
    assert await provider.interactions.sessions.find(bobs_cookie, utc_now()) is not None
    assert await provider.audit.store.events(types=[EventType.SESSION_ENDED]) == []


async def test_signing_out_everywhere_else_keeps_this_browser(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    others = [await start_session(provider, sub, user_agent=FIREFOX_ON_WINDOWS) for _ in "ab"]
    await sign_in(browser)
    response = await post_form(browser, "/account/sessions", "/account/sessions/end-others")
    assert response.status_code == 303
    for cookie in others:
        assert await provider.interactions.sessions.find(cookie, utc_now()) is None
    assert len(await provider.interactions.sessions.of(sub, utc_now())) == 1
    assert (await browser.open("/account/sessions")).status_code == 200


# -- connected apps -----------------------------------------------------------------------


async def test_connected_apps_shows_what_each_app_was_allowed(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    await sign_in(browser)
    await connect_app(browser, provider)
    page = await browser.open("/account/apps")
    assert "<strong>Shop</strong>" in page.text
    assert "See your email address" in page.text
    assert "Keep access while you are not using the application" in page.text


async def test_removing_an_app_ends_its_tokens_and_forgets_the_consent(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    await sign_in(browser)
    rp, tokens = await connect_app(browser, provider)
    response = await post_form(
        browser, "/account/apps", "/account/apps/remove", client_id=rp.client_id
    )
    assert response.status_code == 303
    party = Party(rp.client_id, rp.secret)
    refused = await refresh(browser.http, party, tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await browser.http.get("/userinfo", headers=bearer)).status_code == 401
    assert await count(provider, "consents", sub=sub) == 0
    page = await browser.open("/account/apps")
    assert "No app can use your account." in page.text
    [event] = await provider.audit.store.events(sub=sub, types=[EventType.CONSENT_REVOKED])
    assert dict(event.details) == {"client_id": rp.client_id}


# -- activity -----------------------------------------------------------------------------


async def test_activity_tells_the_accounts_own_events_in_words(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    bob = await add_customer(provider, "bob@example.com")
    await provider.audit.record(EventType.PASSWORD_CHANGED, bob, "198.51.100.7")
    await sign_in(browser)
    await connect_app(browser, provider)
    page = await browser.open("/account/activity")
    assert page.status_code == 200
    assert "Signed in with a password" in page.text
    assert "Allowed Shop to use the account" in page.text
    assert "Changed the password" not in page.text
    assert "198.51.100.7" not in page.text


# -- download your data -------------------------------------------------------------------


async def test_the_data_download_is_a_json_attachment_without_any_secret(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    await sign_in(browser)
    _, tokens = await connect_app(browser, provider)
    totp_secret = await enrol_totp(provider, sub)
    await add_passkey(provider, sub)
    response = await browser.open("/account/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == 'attachment; filename="account-data.json"'
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert data["account"]["email"] == EMAIL
    assert data["account"]["profile"] == {"name": "Alice"}
    assert data["account"]["has_password"] is True
    assert [app["client_name"] for app in data["consents"]] == ["Shop"]
    assert [app["client_name"] for app in data["connected_apps"]] == ["Shop"]
    assert data["authenticator_app"]["set_up"] is True
    assert [key["name"] for key in data["passkeys"]] == ["Work laptop"]
    assert len(data["sessions"]) == 1
    assert {event["event"] for event in data["activity"]} >= {"sign_in.succeeded"}
    user = await provider.users.get_user(sub)
    assert user is not None
    assert user.password_hash is not None
    cookie = browser.http.cookies[COOKIE]
    [passkey] = await provider.sign_in.passkeys.list(sub)
    for secret in (
        user.password_hash,
        totp_secret,
        cookie,
        digest_secret(cookie),
        passkey.credential_id,
        tokens["access_token"],
        tokens["refresh_token"],
    ):
        assert secret not in response.text
    assert "password_hash" not in response.text


async def enrol_totp(provider: Provider, sub: str) -> str:
    enrolment = provider.sign_in.totp_enrolment
    setup = await enrolment.start(sub, EMAIL)
    assert await enrolment.confirm(sub, pyotp.TOTP(setup.secret).now()) is not None
    return setup.secret


async def add_passkey(provider: Provider, sub: str) -> None:
    passkeys = provider.sign_in.passkeys
    options = await passkeys.registration_options(sub, EMAIL, "Alice")
    answer = SoftAuthenticator().create(options, ISSUER)
    await passkeys.register(sub, json.dumps(answer), "Work laptop")


# -- deleting the account -----------------------------------------------------------------


async def test_deleting_the_account_erases_it_and_ends_every_way_in(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    await sign_in(browser)
    rp, tokens = await connect_app(browser, provider)
    await enrol_totp(provider, sub)
    await add_passkey(provider, sub)
    other_browser = await start_session(provider, sub, user_agent=FIREFOX_ON_WINDOWS)
    cookie = browser.http.cookies[COOKIE]
    page = await browser.open("/account/delete")
    assert EMAIL in page.text
    response = await browser.http.post(
        "/account/delete", data={"csrf_token": csrf_token(page.text), "email": "Alice@Example.com "}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/deleted"
    assert f'{COOKIE}=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert "Your account was deleted" in (await browser.open("/account/deleted")).text

    for table in (
        "users",
        "consents",
        "grants",
        "browser_sessions",
        "totp_credentials",
        "recovery_codes",
        "passkeys",
        "magic_links",
        "audit_events",
    ):
        assert await count(provider, table, sub=sub) == 0, table
    assert await count(provider, "refresh_tokens") == 0
    assert await count(provider, "authorization_codes") == 0
    [deleted] = await provider.audit.store.events(types=[EventType.ACCOUNT_DELETED])
    assert deleted.sub is None

    for old_cookie in (cookie, other_browser):
        use_cookie(browser, old_cookie)
        assert (await browser.open("/account")).status_code == 303
    refused = await refresh(browser.http, Party(rp.client_id, rp.secret), tokens["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"


async def test_deletion_needs_the_accounts_own_address_typed(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    await add_customer(provider, "bob@example.com")
    await sign_in(browser)
    response = await post_form(
        browser, "/account/delete", "/account/delete", email="bob@example.com"
    )
    assert response.status_code == 200
    assert 'id="delete-error"' in response.text
    assert "Type it exactly as shown." in response.text
    assert await provider.users.get_user(sub) is not None
    assert (await browser.open("/account")).status_code == 200
