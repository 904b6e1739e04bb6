"""/account/passkeys through HTTP: list, add (with a software authenticator), rename, remove.

The router runs in a small app of real components on a real database, as app.py would wire it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.store.sessions import SqlSessionStore
from ciam_oidc.web.account import AccountGuard
from ciam_oidc.web.account_passkeys import passkeys_router
from ciam_oidc.web.csrf import CsrfProtection
from ciam_oidc.web.outcomes import OutcomePages
from ciam_oidc.web.pages import Pages
from ciam_oidc.web.session_cookie import SessionCookie
from tests.support.passkeys import ORIGIN, PasskeySetup, passkey_setup
from tests.support.soft_authenticator import SoftAuthenticator

MASTER = b"test master secret for the account pages"
PAGE = "/account/passkeys"
_OPTIONS = re.compile(
    r'<script type="application/json" id="passkey-creation-options">(.*?)</script>', re.S
)


@dataclass
class Site:
    client: httpx.AsyncClient
    setup: PasskeySetup
    sessions: Sessions
    cookie: SessionCookie
    sub: str

    async def sign_in(self, minutes_ago: int = 0) -> None:
        signed_in_at = self.setup.clock() - timedelta(minutes=minutes_ago)
        authentication = Authentication(self.sub, signed_in_at, "0", ("pwd",))
        value, _ = await self.sessions.start(authentication, signed_in_at)
        self.client.cookies.set(self.cookie.name, value)

    async def post(self, path: str, page: httpx.Response, **form: str) -> httpx.Response:
        """Submit a form of `page`, with the CSRF token it carries."""
        return await self.client.post(path, data={"csrf_token": csrf_token(page), **form})

    async def add_passkey(self, device: SoftAuthenticator, name: str = "") -> httpx.Response:
        page = await self.client.get(PAGE)
        credential = device.create(creation_options(page), ORIGIN)
        return await self.post(PAGE, page, credential=json.dumps(credential), name=name)


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    async with passkey_setup(database_url) as setup:
        sub = await setup.add_user("ada@example.com")
        sessions = Sessions(SqlSessionStore(setup.database), timedelta(hours=1))
        cookie = SessionCookie(secure=False, max_age=3600)
        guard = AccountGuard(sessions, cookie, "", setup.clock)
        outcomes = OutcomePages(Pages(), CsrfProtection(MASTER, secure=False), "")

        async def account_name(sub: str) -> str:
            user = await setup.users.get_user(sub)
            assert user is not None
            return user.email

        app = FastAPI()
        app.include_router(passkeys_router(guard, outcomes, setup.passkeys, account_name))
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
            yield Site(client, setup, sessions, cookie, sub)


def csrf_token(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF-protected form"
    return match.group(1)


def creation_options(page: httpx.Response) -> str:
    match = _OPTIONS.search(page.text)
    assert match, "the page carries no creation options"
    return match.group(1)


def notice(response: httpx.Response) -> str:
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == PAGE
    return parse_qs(location.query)["done"][0]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", PAGE), ("POST", PAGE), ("POST", f"{PAGE}/some-id/rename")],
)
async def test_without_a_session_the_browser_is_sent_to_sign_in_and_back_to_the_page(
    site: Site, method: str, path: str
) -> None:
    """A form POST cannot be repeated after signing in: the browser comes back to the list."""
    response = await site.client.request(method, path)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/account/login"
    assert parse_qs(location.query) == {"next": [PAGE]}


async def test_an_old_sign_in_must_be_renewed_before_adding_a_passkey(site: Site) -> None:
    await site.sign_in()
    page = await site.client.get(PAGE)
    site.setup.clock.advance(timedelta(minutes=16))
    response = await site.post(
        PAGE,
        page,
        credential=json.dumps(SoftAuthenticator().create(creation_options(page), ORIGIN)),
    )
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["fresh"] == ["1"]
    assert await site.setup.passkeys.list(site.sub) == []


async def test_the_page_offers_to_add_a_passkey_with_a_script_from_our_origin(site: Site) -> None:
    await site.sign_in()
    page = await site.client.get(PAGE)
    assert page.status_code == 200
    assert "You have no passkeys yet." in page.text
    assert '<script src="/static/passkey.js" defer></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    options = json.loads(creation_options(page))
    assert options["user"]["name"] == "ada@example.com"
    assert options["authenticatorSelection"]["residentKey"] == "required"


async def test_a_passkey_is_added_through_the_page_and_listed(site: Site) -> None:
    await site.sign_in()
    assert notice(await site.add_passkey(SoftAuthenticator(), name="Work laptop")) == "added"
    page = await site.client.get(f"{PAGE}?done=added")
    assert "Passkey added." in page.text
    assert "<strong>Work laptop</strong>" in page.text
    assert "Added 2026-03-29" in page.text
    assert "not used yet" in page.text
    (passkey,) = await site.setup.passkeys.list(site.sub)
    assert passkey.name == "Work laptop"


async def test_a_passkey_added_without_a_name_gets_one(site: Site) -> None:
    await site.sign_in()
    await site.add_passkey(SoftAuthenticator())
    page = await site.client.get(PAGE)
    assert "<strong>Passkey created 2026-03-29</strong>" in page.text


async def test_a_form_without_this_pages_token_is_refused(site: Site) -> None:
    await site.sign_in()
    page = await site.client.get(PAGE)
    credential = json.dumps(SoftAuthenticator().create(creation_options(page), ORIGIN))
    response = await site.client.post(PAGE, data={"csrf_token": "forged", "credential": credential})
    assert response.status_code == 403
    assert await site.setup.passkeys.list(site.sub) == []


async def test_a_refused_passkey_is_explained_on_the_page(site: Site) -> None:
    await site.sign_in()
    page = await site.client.get(PAGE)
    stale = json.dumps(SoftAuthenticator().create(creation_options(page), "https://evil.example"))
    response = await site.post(PAGE, page, credential=stale)
    assert response.status_code == 400
    assert "The passkey could not be verified. Try again." in response.text
    assert await site.setup.passkeys.list(site.sub) == []


async def test_a_passkey_is_renamed_and_removed(site: Site) -> None:
    await site.sign_in()
    await site.add_passkey(SoftAuthenticator(), name="Laptop")
    (passkey,) = await site.setup.passkeys.list(site.sub)
    page = await site.client.get(PAGE)
    action = f"{PAGE}/{passkey.credential_id}"
    assert f'action="{action}/rename"' in page.text

    assert notice(await site.post(f"{action}/rename", page, name="Phone")) == "renamed"
    assert [p.name for p in await site.setup.passkeys.list(site.sub)] == ["Phone"]
    assert notice(await site.post(f"{action}/remove", page)) == "removed"
    assert await site.setup.passkeys.list(site.sub) == []


async def test_someone_elses_passkey_cannot_be_renamed_or_removed(site: Site) -> None:
    eve = await site.setup.add_user("eve@example.com")
    theirs = await site.setup.register(eve, SoftAuthenticator(), "Eve's phone")
    await site.sign_in()
    page = await site.client.get(PAGE)
    for action, form in (("rename", {"name": "Mine"}), ("remove", {})):
        response = await site.post(f"{PAGE}/{theirs.credential_id}/{action}", page, **form)
        assert response.status_code == 400
        assert "That passkey is not in your account" in response.text
    assert await site.setup.passkeys.list(eve) == [theirs]


async def test_names_and_addresses_cannot_break_out_of_the_page(site: Site) -> None:
    hostile = "</script><img/src=x>"
    mallory = await site.setup.add_user(f"m{hostile}@example.com")
    await site.setup.register(mallory, SoftAuthenticator(), hostile)
    site.sub = mallory
    await site.sign_in()
    page = await site.client.get(PAGE)
    assert hostile not in page.text
    assert html.escape(hostile) in page.text
    assert json.loads(creation_options(page))["user"]["name"] == f"m{hostile}@example.com"
