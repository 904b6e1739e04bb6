"""The account's connections page: connecting an upstream account after signing in here,
disconnecting one, and never disconnecting the last way in."""

from __future__ import annotations

import httpx

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import EventType
from tests.spec.browser import (
    PASSWORD,
    Browser,
    add_customer,
    authorization_params,
    csrf_token,
    id_token_claims,
    redeem,
)
from tests.spec.federation.conftest import (
    account_login_page,
    add_oidc_upstream,
    come_back,
    follow,
    leave_for,
    links_of,
    shop,
    sign_in_through,
)
from tests.support.upstreams import DEFAULT_PERSON, FakeOidcUpstream
from tests.support.upstreams import callback_params as upstream_answer

PAGE = "/account/connections"
ALICE = "alice@example.com"


async def sign_in_with_password(browser: Browser, email: str = ALICE) -> None:
    page = await account_login_page(browser)
    done = await browser.submit(page, "/login", email=email, password=PASSWORD)
    assert (await follow(browser, done)).status_code == 200


async def connect(browser: Browser, upstream_id: str = "acme") -> httpx.Response:
    """Press "Connect" on the connections page and come back from the upstream."""
    page = await browser.open(PAGE)
    form = {"csrf_token": csrf_token(page.text), "upstream": upstream_id}
    leaving = await browser.http.post(f"{PAGE}/link", data=form)
    assert leaving.status_code == 303, leaving.text
    answer = await upstream_answer(leaving.headers["location"])
    return await browser.open(f"/federation/{upstream_id}/callback?{httpx.QueryParams(answer)}")


async def disconnect(browser: Browser, issuer: str, subject: str) -> httpx.Response:
    page = await browser.open(PAGE)
    form = {"csrf_token": csrf_token(page.text), "issuer": issuer, "subject": subject}
    return await browser.http.post(f"{PAGE}/unlink", data=form)


async def test_connecting_an_upstream_lets_it_sign_in_to_the_account(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    alice = await add_customer(provider)
    await add_oidc_upstream(provider, fake_oidc_upstream)
    await sign_in_with_password(browser)
    page = await browser.open(PAGE)
    assert "Connect Acme ID" in page.text
    # Its form leads to the upstream and back: no CSP form-action may stop that chain.
    assert "form-action" not in page.headers["content-security-policy"]

    back = await connect(browser)
    assert back.status_code == 302
    assert back.headers["location"] == f"{PAGE}?done=linked"
    page = await browser.open(back.headers["location"])
    assert "Connected. You can now sign in with it." in page.text
    assert "Disconnect Acme ID" in page.text
    assert "jane.doe@upstream.example" in page.text  # the upstream's verified address
    (link,) = await links_of(provider, alice)
    assert link.subject == DEFAULT_PERSON["sub"]
    assert EventType.UPSTREAM_LINKED in [event.type for event in await provider.audit.of(alice)]
    # The person's own copy of their data names the connection (GDPR Art. 15).
    (exported,) = (await browser.open("/account/export")).json()["upstream_identities"]
    assert exported["issuer"] == fake_oidc_upstream.issuer
    assert exported["subject"] == DEFAULT_PERSON["sub"]

    browser.http.cookies.clear()
    rp = await shop(provider)
    done = await sign_in_through(browser, authorization_params(rp))
    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert claims["sub"] == alice


async def test_an_upstream_account_connected_elsewhere_stays_where_it_is(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    rp = await shop(provider)
    jane = await id_token_claims(
        browser,
        (await redeem(browser, rp, await sign_in_through(browser, authorization_params(rp))))[
            "id_token"
        ],
    )
    browser.http.cookies.clear()
    alice = await add_customer(provider)
    await sign_in_with_password(browser)

    refused = await connect(browser)
    assert refused.status_code == 400
    assert "already signs in to another account here" in refused.text
    assert await links_of(provider, alice) == []
    assert len(await links_of(provider, str(jane["sub"]))) == 1


async def test_connecting_again_changes_nothing(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    alice = await add_customer(provider)
    await add_oidc_upstream(provider, fake_oidc_upstream)
    await add_oidc_upstream(provider, fake_oidc_upstream, "again", name="Acme again")
    await sign_in_with_password(browser)
    await connect(browser)

    # The same upstream account through another configured upstream of the same issuer.
    again = await connect(browser, "again")
    assert again.headers["location"] == f"{PAGE}?done=already-linked"
    assert len(await links_of(provider, alice)) == 1


async def test_cancelling_at_the_upstream_says_so_on_the_page(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    alice = await add_customer(provider)
    await add_oidc_upstream(provider, fake_oidc_upstream)
    await sign_in_with_password(browser)
    fake_oidc_upstream.deny_next()

    page = await connect(browser)
    assert "Sign-in with Acme ID was cancelled." in page.text
    assert await links_of(provider, alice) == []


async def test_disconnecting_an_upstream_account(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    alice = await add_customer(provider)
    await add_oidc_upstream(provider, fake_oidc_upstream)
    await sign_in_with_password(browser)
    await connect(browser)

    done = await disconnect(browser, fake_oidc_upstream.issuer, DEFAULT_PERSON["sub"])
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?done=unlinked"
    assert await links_of(provider, alice) == []
    events = [event.type for event in await provider.audit.of(alice)]
    assert EventType.UPSTREAM_UNLINKED in events
    gone = await disconnect(browser, fake_oidc_upstream.issuer, DEFAULT_PERSON["sub"])
    assert gone.status_code == 400
    assert "not in your account" in gone.text


async def test_the_last_way_to_sign_in_cannot_be_disconnected(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    await add_oidc_upstream(provider, fake_oidc_upstream)
    page = await account_login_page(browser)
    assert (
        await follow(browser, await come_back(browser, await leave_for(browser, page, "acme")))
    ).status_code == 200
    (user,) = await provider.users.list_users()
    assert user.password_hash is None

    refused = await disconnect(browser, fake_oidc_upstream.issuer, DEFAULT_PERSON["sub"])
    assert refused.status_code == 400
    assert "This is the only way you can sign in" in refused.text
    assert len(await links_of(provider, user.sub)) == 1


async def test_changes_need_the_pages_csrf_token(
    browser: Browser, provider: Provider, fake_oidc_upstream: FakeOidcUpstream
) -> None:
    alice = await add_customer(provider)
    await add_oidc_upstream(provider, fake_oidc_upstream)
    await sign_in_with_password(browser)
    await connect(browser)

    forged = {"issuer": fake_oidc_upstream.issuer, "subject": DEFAULT_PERSON["sub"]}
    assert (await browser.http.post(f"{PAGE}/unlink", data=forged)).status_code == 403
    assert (await browser.http.post(f"{PAGE}/link", data={"upstream": "acme"})).status_code == 403
    assert len(await links_of(provider, alice)) == 1


async def test_the_page_needs_a_sign_in(browser: Browser, provider: Provider) -> None:
    response = await browser.open(PAGE)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/login?")
