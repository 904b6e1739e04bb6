"""Signing in to a relying party through an upstream identity provider: the buttons a client
allows, the account created at a first sign-in, what the ID token says about it, and every
way the round trip can fail without creating anything."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import EventType
from tests.spec.browser import (
    REDIRECT_URI,
    Browser,
    authorization_params,
    callback_params,
    id_token_claims,
    redeem,
)
from tests.spec.federation.conftest import (
    ISSUER,
    add_github,
    add_oidc_upstream,
    come_back,
    leave_for,
    login_page,
    shop,
    sign_in_through,
    user_count,
)
from tests.support.smtp import unused_port
from tests.support.upstreams import FakeGitHub, FakeOidcUpstream
from tests.support.upstreams import callback_params as upstream_answer

NOT_COMPLETED = "This sign-in could not be completed"


async def userinfo_of(browser: Browser, access_token: str) -> dict[str, Any]:
    response = await browser.http.get(
        "/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert response.status_code == 200, response.text
    claims: dict[str, Any] = response.json()
    return claims


def buttons(page: httpx.Response) -> list[str]:
    return re.findall(r'name="upstream" value="([^"]+)"', page.text)


async def test_the_sign_in_page_offers_the_upstreams_the_client_allows(
    browser: Browser,
    provider: Provider,
    fake_oidc_upstream: FakeOidcUpstream,
    fake_github: FakeGitHub,
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    await add_github(provider, fake_github)
    await add_oidc_upstream(provider, fake_oidc_upstream, "off", enabled=False)
    every = await shop(provider)
    only_acme = await shop(provider, upstreams=("acme",))
    none = await shop(provider, upstreams=())

    page = await login_page(browser, authorization_params(every))
    assert buttons(page) == ["acme", "github"]
    assert "Continue with Acme ID" in page.text
    assert "Continue with GitHub" in page.text
    assert 'action="/login/upstream"' in page.text
    # The buttons lead to the upstreams and back: no CSP form-action may stop that chain.
    assert "form-action" not in page.headers["content-security-policy"]
    assert buttons(await login_page(browser, authorization_params(only_acme))) == ["acme"]
    assert buttons(await login_page(browser, authorization_params(none))) == []


async def test_a_first_sign_in_creates_the_account_and_the_client_learns_it_came_through_it(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    done = await sign_in_through(browser, authorization_params(rp, scope="openid email profile"))

    assert done.status_code == 302, done.text
    assert done.headers["location"].startswith(REDIRECT_URI)
    tokens = await redeem(browser, rp, done)
    claims = await id_token_claims(browser, tokens["id_token"])
    assert claims["amr"] == ["fed"]
    assert claims["acr"] == "1"
    userinfo = await userinfo_of(browser, tokens["access_token"])
    assert userinfo["email"] == "jane.doe@upstream.example"
    assert userinfo["email_verified"] is True
    assert userinfo["name"] == "Jane Doe"
    user = await provider.users.get_user(str(claims["sub"]))
    assert user is not None
    assert user.password_hash is None  # the upstream is its way in; no password was chosen
    assert user.claims == {
        "name": "Jane Doe",
        "given_name": "Jane",
        "family_name": "Doe",
        "locale": "en",
    }
    events = [event.type for event in await provider.audit.of(user.sub)]
    assert EventType.ACCOUNT_REGISTERED in events
    assert EventType.UPSTREAM_LINKED in events


async def test_signing_in_again_reaches_the_same_account(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    first = await redeem(browser, rp, await sign_in_through(browser, authorization_params(rp)))
    browser.http.cookies.clear()  # another day, another browser
    fake_oidc_upstream.person["name"] = "Jane Renamed"
    second = await redeem(browser, rp, await sign_in_through(browser, authorization_params(rp)))

    first_sub = (await id_token_claims(browser, first["id_token"]))["sub"]
    assert (await id_token_claims(browser, second["id_token"]))["sub"] == first_sub
    assert await user_count(provider) == 1
    (link,) = await provider.federation.links.links_of(str(first_sub))
    assert link.last_used_at is not None


async def test_a_github_style_upstream_signs_up_with_the_primary_verified_address(
    browser: Browser, provider: Provider, fake_github: FakeGitHub
) -> None:
    await add_github(provider, fake_github)
    rp = await shop(provider)
    done = await sign_in_through(browser, authorization_params(rp), "github")

    tokens = await redeem(browser, rp, done)
    claims = await id_token_claims(browser, tokens["id_token"])
    userinfo = await userinfo_of(browser, tokens["access_token"])
    assert userinfo["email"] == "jane@octo.example"  # not the older, non-primary address
    (link,) = await provider.federation.links.links_of(str(claims["sub"]))
    assert (link.issuer, link.subject) == ("https://github.com", "5840123")


async def test_no_verified_address_creates_nothing_and_says_so(
    browser: Browser, provider: Provider, fake_github: FakeGitHub
) -> None:
    fake_github.emails = [
        {"email": "jane@octo.example", "primary": True, "verified": False, "visibility": None}
    ]
    await add_github(provider, fake_github)
    rp = await shop(provider)
    page = await sign_in_through(browser, authorization_params(rp), "github")

    assert page.status_code == 200
    assert "did not confirm an email address" in page.text
    assert 'name="password"' in page.text  # the same sign-in goes on, another way
    assert await user_count(provider) == 0


async def test_a_client_that_allows_no_registration_gets_no_new_account(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider, allow_registration=False)
    page = await sign_in_through(browser, authorization_params(rp))

    assert "There is no account here for you yet" in page.text
    assert await user_count(provider) == 0


@pytest.mark.parametrize(("trusted", "acr"), [(True, "2"), (False, "1")])
async def test_the_upstreams_own_factors_count_only_when_the_operator_trusts_it(
    browser: Browser,
    provider: Provider,
    fake_oidc_upstream: FakeOidcUpstream,
    trusted: bool,
    acr: str,
) -> None:
    fake_oidc_upstream.person["amr"] = ["pwd", "otp"]
    await add_oidc_upstream(provider, fake_oidc_upstream, trust_authn=trusted)
    rp = await shop(provider)
    done = await sign_in_through(browser, authorization_params(rp, acr_values="2"))

    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert claims["acr"] == acr
    expected = ["fed", "pwd", "otp", "mfa"] if trusted else ["fed"]
    assert claims["amr"] == expected


async def test_a_callback_with_a_state_we_never_issued_is_refused(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    answer = await upstream_answer(await leave_for(browser, page, "acme"))

    forged = await browser.open(
        f"/federation/acme/callback?{httpx.QueryParams({**answer, 'state': 'guessed'})}"
    )
    assert forged.status_code == 400
    assert NOT_COMPLETED in forged.text
    missing = {k: v for k, v in answer.items() if k != "state"}
    assert (
        NOT_COMPLETED
        in (await browser.open(f"/federation/acme/callback?{httpx.QueryParams(missing)}")).text
    )
    assert await user_count(provider) == 0


async def test_a_callback_opened_in_another_browser_is_refused(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    authorization_url = await leave_for(browser, page, "acme")
    browser.http.cookies.clear()  # the attacker's browser, holding the victim's callback

    refused = await come_back(browser, authorization_url)
    assert refused.status_code == 400
    assert NOT_COMPLETED in refused.text
    assert "set-cookie" not in {name.lower() for name in refused.headers}
    assert await user_count(provider) == 0


async def test_a_callback_answers_once(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    answer = await upstream_answer(await leave_for(browser, page, "acme"))
    callback = f"/federation/acme/callback?{httpx.QueryParams(answer)}"

    assert (await browser.open(callback)).status_code == 302
    replayed = await browser.open(callback)
    assert replayed.status_code == 400
    assert NOT_COMPLETED in replayed.text


async def test_a_callback_to_another_upstreams_address_is_refused(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    await add_oidc_upstream(provider, fake_oidc_upstream, "other")
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    answer = await upstream_answer(await leave_for(browser, page, "acme"))

    mixed_up = await browser.open(f"/federation/other/callback?{httpx.QueryParams(answer)}")
    assert NOT_COMPLETED in mixed_up.text


async def test_cancelling_at_the_upstream_returns_to_the_same_sign_in(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    fake_oidc_upstream.deny_next()
    page = await sign_in_through(browser, authorization_params(rp))

    assert page.status_code == 200
    assert "Sign-in with Acme ID was cancelled." in page.text
    assert buttons(page) == ["acme"]  # choose again, or another way
    assert await user_count(provider) == 0


async def test_a_misconfigured_upstream_says_it_did_not_work(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream, client_secret="not-the-secret")
    rp = await shop(provider)
    page = await sign_in_through(browser, authorization_params(rp))

    assert "Sign-in with Acme ID did not work." in page.text
    assert 'name="password"' in page.text
    assert await user_count(provider) == 0


async def test_an_upstream_that_does_not_answer_is_named_on_the_sign_in_page(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    down = f"http://127.0.0.1:{unused_port()}"
    await add_oidc_upstream(provider, fake_oidc_upstream, issuer=down)
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    answer = await browser.submit(page, "/login/upstream", upstream="acme")

    assert answer.status_code == 200
    assert "Acme ID is not answering right now." in answer.text
    assert await user_count(provider) == 0


async def test_an_upstream_going_down_before_the_callback_creates_nothing(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    authorization_url = await leave_for(browser, page, "acme")
    answer = await upstream_answer(authorization_url)
    fake_oidc_upstream.fail_token(503)

    page = await browser.open(f"/federation/acme/callback?{httpx.QueryParams(answer)}")
    assert "Acme ID is not answering right now." in page.text
    assert await user_count(provider) == 0


async def test_a_disabled_upstream_is_refused_at_the_start_and_at_the_callback(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    upstream = await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    authorization_url = await leave_for(browser, page, "acme")
    await provider.federation.upstreams.update_upstream(replace(upstream, enabled=False))

    at_callback = await come_back(browser, authorization_url)
    assert "Sign-in with Acme ID did not work." in at_callback.text
    assert buttons(at_callback) == []
    at_start = await browser.submit(page, "/login/upstream", upstream="acme")
    assert at_start.status_code == 200
    assert "Choose a way to sign in." in at_start.text
    assert await user_count(provider) == 0


async def test_an_upstream_the_client_does_not_allow_cannot_be_started(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider, upstreams=())
    page = await login_page(browser, authorization_params(rp))
    answer = await browser.submit(page, "/login/upstream", upstream="acme")

    assert answer.status_code == 200
    assert "Choose a way to sign in." in answer.text


async def test_a_form_post_callback_without_our_cookies_is_posted_again_from_our_site(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    answer = await upstream_answer(await leave_for(browser, page, "acme"))
    cookies = dict(browser.http.cookies)
    browser.http.cookies.clear()  # a cross-site POST carries no SameSite=Lax cookie

    repost = await browser.http.post("/federation/acme/callback", data=answer)
    assert repost.status_code == 200
    assert 'action="/federation/acme/callback"' in repost.text
    assert "/static/repost.js" in repost.text
    assert "script-src 'self'" in repost.headers["content-security-policy"]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', repost.text))
    assert fields["state"] == answer["state"]

    browser.http.cookies.update(cookies)  # posted again from our origin: the cookies come
    done = await browser.http.post("/federation/acme/callback", data=fields)
    assert done.status_code == 303
    assert "code" in callback_params(done)


async def test_a_browser_without_cookies_gets_no_endless_reposts(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await login_page(browser, authorization_params(rp))
    answer = await upstream_answer(await leave_for(browser, page, "acme"))
    browser.http.cookies.clear()

    repost = await browser.http.post("/federation/acme/callback", data=answer)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', repost.text))
    browser.http.cookies.clear()
    refused = await browser.http.post("/federation/acme/callback", data=fields)
    assert refused.status_code == 400
    assert NOT_COMPLETED in refused.text


async def test_our_own_pages_offer_every_enabled_upstream(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    to_sign_in = await browser.open("/account")
    page = await browser.open(to_sign_in.headers["location"])
    page = await browser.open(page.headers["location"])
    assert buttons(page) == ["acme"]

    back = await come_back(browser, await leave_for(browser, page, "acme"))
    assert back.status_code == 302
    assert urlsplit(back.headers["location"]).path == "/account"
    account = await browser.open("/account")
    assert "jane.doe@upstream.example" in account.text
    assert ISSUER.startswith("https://")  # the session cookie took its __Host- form
    assert any(name.startswith("__Host-") for name in browser.http.cookies)
