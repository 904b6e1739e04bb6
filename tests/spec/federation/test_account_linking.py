"""An upstream identity whose verified address belongs to an existing account: linked only
after the person signs in to that account in the same sign-in and the same browser, never by
the address alone (pre-account-takeover)."""

from __future__ import annotations

import re
from dataclasses import replace

import httpx

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import EventType
from ciam_oidc.authn.upstreams import LinkedIdentity
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.passwords import hash_password
from ciam_oidc.protocol.users import UserRequest, new_user
from tests.spec.browser import (
    PASSWORD,
    REDIRECT_URI,
    Browser,
    add_customer,
    authorization_params,
    callback_params,
    id_token_claims,
    redeem,
)
from tests.spec.federation.conftest import (
    add_oidc_upstream,
    links_of,
    shop,
    sign_in_through,
    user_count,
)
from tests.support.upstreams import DEFAULT_PERSON, FakeOidcUpstream

ALICE = "alice@example.com"
ASKS_TO_SIGN_IN = "An account with alice@example.com already exists."


async def matched_page(browser: Browser, params: dict[str, str]) -> httpx.Response:
    """Through the upstream, whose verified address is Alice's: the sign-in page that asks
    her to sign in to her account."""
    back = await sign_in_through(browser, params)
    assert back.status_code == 302, back.text
    assert back.headers["location"].startswith("/login?flow="), back.headers["location"]
    page = await browser.open(back.headers["location"])
    assert ASKS_TO_SIGN_IN in page.text
    return page


async def test_a_matching_address_links_only_after_signing_in_to_the_account(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    alice = await add_customer(provider)
    fake_oidc_upstream.person["email"] = ALICE
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await matched_page(browser, authorization_params(rp))

    # Nothing yet: no code, no link, no second account.
    assert await links_of(provider, alice) == []
    assert await user_count(provider) == 1
    assert f'value="{ALICE}"' in page.text  # the address to sign in with, suggested
    signed_in = await browser.submit(page, "/login", email=ALICE, password=PASSWORD)
    assert signed_in.headers["location"].startswith(REDIRECT_URI)
    (link,) = await links_of(provider, alice)
    assert (link.issuer, link.subject) == (fake_oidc_upstream.issuer, DEFAULT_PERSON["sub"])
    assert link.email == ALICE
    events = [event.type for event in await provider.audit.of(alice)]
    assert EventType.UPSTREAM_LINKED in events

    # From now on the upstream signs in to Alice's account directly.
    browser.http.cookies.clear()
    done = await sign_in_through(browser, authorization_params(rp))
    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert claims["sub"] == alice
    assert claims["amr"] == ["fed"]


async def test_an_unverified_matching_address_neither_links_nor_creates(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    alice = await add_customer(provider)
    fake_oidc_upstream.person.update(email=ALICE, email_verified=False)
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await sign_in_through(browser, authorization_params(rp))

    assert "did not confirm an email address" in page.text
    assert ASKS_TO_SIGN_IN not in page.text  # nobody learns that the address has an account
    assert await links_of(provider, alice) == []
    assert await user_count(provider) == 1
    # Signing in afterwards in that sign-in links nothing either.
    done = await browser.submit(page, "/login", email=ALICE, password=PASSWORD)
    assert "code" in callback_params(done)
    assert await links_of(provider, alice) == []


async def test_signing_in_to_another_account_links_nothing(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    alice = await add_customer(provider)
    bob = await add_customer(provider, "bob@example.com")
    fake_oidc_upstream.person["email"] = ALICE
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await matched_page(browser, authorization_params(rp))

    done = await browser.submit(page, "/login", email="bob@example.com", password=PASSWORD)
    assert "code" in callback_params(done)
    assert await links_of(provider, bob) == []
    assert await links_of(provider, alice) == []


async def test_the_sign_in_that_links_must_happen_in_the_browser_that_went_upstream(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    """Someone who lures Alice into finishing their sign-in must not get her account linked
    to their upstream identity."""
    alice = await add_customer(provider)
    fake_oidc_upstream.person["email"] = ALICE
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    page = await matched_page(browser, authorization_params(rp))
    flow_url = re.search(r'name="flow" value="([^"]+)"', page.text)
    assert flow_url is not None

    browser.http.cookies.clear()  # Alice's browser, opening the sign-in page she was sent
    her_page = await browser.open(f"/login?flow={flow_url.group(1)}")
    done = await browser.submit(her_page, "/login", email=ALICE, password=PASSWORD)
    assert "code" in callback_params(done)
    assert await links_of(provider, alice) == []


async def test_a_disabled_account_cannot_sign_in_through_its_upstream(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    user = new_user(
        UserRequest(ALICE, email_verified=True), await hash_password(PASSWORD), utc_now()
    )
    await provider.users.add_user(replace(user, disabled=True))
    await add_oidc_upstream(provider, fake_oidc_upstream)
    link = LinkedIdentity(
        fake_oidc_upstream.issuer, DEFAULT_PERSON["sub"], user.sub, "acme", ALICE, utc_now()
    )
    await provider.federation.links.add_link(link)
    rp = await shop(provider)
    page = await sign_in_through(browser, authorization_params(rp))

    assert page.status_code == 200
    assert "This account is disabled" in page.text
    assert "location" not in page.headers
