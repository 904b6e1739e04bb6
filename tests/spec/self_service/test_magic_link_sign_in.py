"""Signing in by an emailed link, end to end: the provider sends through a real SMTP server
(aiosmtpd on loopback), and the link in the mail that arrives completes the code flow."""

from __future__ import annotations

import re

from ciam_oidc.app import Provider
from tests.spec.browser import (
    Browser,
    add_customer,
    authorization_params,
    callback_params,
    csrf_token,
    id_token_claims,
    redeem,
    register_rp,
)
from tests.spec.self_service.conftest import ISSUER, Inbox

_LINK = re.compile(re.escape(ISSUER) + r"/login/link\?token=[\w-]+")


async def ask_for_link(browser: Browser, params: dict[str, str], email: str) -> str:
    """Open the sign-in page and ask for a link; returns the page's answer."""
    started = await browser.authorize(params)
    page = await browser.open(started.headers["location"])
    assert 'value="magic_link"' in page.text
    answer = await browser.submit(page, "/login", method="magic_link", email=email)
    assert answer.status_code == 200
    return answer.text


async def test_the_mailed_link_completes_the_code_flow_in_the_same_browser(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    sub = await add_customer(provider)
    rp = await register_rp(provider, first_party=True)
    await ask_for_link(browser, authorization_params(rp), "alice@example.com")

    [message] = await inbox.mail_to("alice@example.com")
    assert message["From"] == "ciam-oidc <no-reply@localhost>"  # CIAM_MAIL_SENDER
    link = _LINK.search(message.get_body(("plain",)).get_content())
    assert link, "the mail carries a sign-in link"
    opened = await browser.open(link[0])  # a GET: shows a page, spends nothing
    assert opened.status_code == 200
    done = await browser.http.post(
        "/login/link",
        data={"csrf_token": csrf_token(opened.text), "token": link[0].partition("token=")[2]},
    )
    assert callback_params(done)["state"] == "s-123"
    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert claims["sub"] == sub
    assert claims["amr"] == ["email"]

    again = await browser.open(link[0])
    assert again.status_code == 410  # single use


async def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_gets_mail(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider, first_party=True)
    params = authorization_params(rp)
    known = await ask_for_link(browser, params, "alice@example.com")
    unknown = await ask_for_link(browser, params, "mallory@example.com")

    def notice(html: str) -> str:
        found = re.search(r'id="login-notice">([^<]+)<', html)
        assert found, "the page says what happens next"
        return found[1]

    assert notice(known) == notice(unknown)
    assert len(await inbox.mail_to("alice@example.com")) == 1
    assert await inbox.mail_to("mallory@example.com") == []
