"""Two-factor sign-in and step-up: `acr_values` (Core §3.1.2.1), an essential `acr` claim
(Core §5.5.1.1) and clients that require MFA; the ID token's `acr`/`amr` (RFC 8176) report
what was done."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pyotp

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from tests.spec.browser import (
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    callback_params,
    id_token_claims,
    redeem,
    register_rp,
)
from tests.spec.oidc_core.conftest import ISSUER

SESSION_COOKIE = "__Host-ciam_session"


async def enrol_totp(provider: Provider, sub: str) -> pyotp.TOTP:
    """Set up an authenticator app the way the account page does: confirmed by a first code."""
    setup = await provider.sign_in.totp_enrolment.start(sub, "alice@example.com")
    totp = pyotp.TOTP(setup.secret)
    assert await provider.sign_in.totp_enrolment.confirm(sub, totp.now())
    return totp


def next_code(totp: pyotp.TOTP) -> str:
    """A code of the next time-step: the current one was spent confirming the enrolment."""
    return totp.at(utc_now() + timedelta(seconds=30))


async def first_party(provider: Provider, **policy: object) -> RelyingParty:
    return await register_rp(provider, first_party=True, **policy)


async def password_step(browser: Browser, params: dict[str, str]) -> httpx.Response:
    return await browser.sign_in(await browser.authorize(params))


async def second_step_page(browser: Browser, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/login?flow="), response.headers["location"]
    page = await browser.open(response.headers["location"])
    assert "Confirm it" in page.text
    return page


async def test_a_client_requiring_mfa_gets_no_code_for_a_password_alone(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    await enrol_totp(provider, sub)
    rp = await first_party(provider, require_mfa=True)
    after_password = await password_step(browser, authorization_params(rp))
    page = await second_step_page(browser, after_password)
    assert 'name="code"' in page.text
    assert 'name="password"' not in page.text  # the factor already given is not asked again
    # The password session exists, but it is not enough for this client even silently.
    silent = await browser.authorize(authorization_params(rp, prompt="none"))
    assert callback_params(silent)["error"] == "interaction_required"


async def test_password_and_totp_satisfy_mfa_and_say_so_in_the_id_token(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    totp = await enrol_totp(provider, sub)
    rp = await first_party(provider, require_mfa=True)
    page = await second_step_page(browser, await password_step(browser, authorization_params(rp)))
    wrong = await browser.submit(page, "/login", method="totp", code="000000")
    assert wrong.status_code == 200
    assert "not valid" in wrong.text
    done = await browser.submit(wrong, "/login", method="totp", code=next_code(totp))
    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert set(claims["amr"]) == {"pwd", "otp", "mfa"}
    assert claims["acr"] == "2"
    assert claims["sub"] == sub


async def test_acr_values_step_up_asks_an_existing_session_only_for_the_second_factor(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    totp = await enrol_totp(provider, sub)
    rp = await first_party(provider)
    first = await password_step(browser, authorization_params(rp))
    first_claims = await id_token_claims(browser, (await redeem(browser, rp, first))["id_token"])
    assert (first_claims["acr"], first_claims["amr"]) == ("1", ["pwd"])
    password_session = browser.http.cookies[SESSION_COOKIE]

    stepping_up = await browser.authorize(authorization_params(rp, acr_values="2", state="up"))
    assert stepping_up.status_code == 302
    page = await browser.open(stepping_up.headers["location"])
    assert 'name="code"' in page.text
    assert 'name="password"' not in page.text
    done = await browser.submit(page, "/login", method="totp", code=next_code(totp))
    assert callback_params(done)["state"] == "up"
    # ASVS 5.0 V7.2.4: a step-up is a sign-in, so the session cookie is renewed.
    assert browser.http.cookies[SESSION_COOKIE] != password_session
    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert claims["acr"] == "2"
    assert set(claims["amr"]) == {"pwd", "otp", "mfa"}


async def test_preferred_acr_values_that_cannot_be_met_do_not_block_the_sign_in(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)  # no second factor set up
    rp = await first_party(provider)
    done = await password_step(browser, authorization_params(rp, acr_values="2 1"))
    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert claims["acr"] == "1"  # truthful: the preferred class was not reached


async def test_an_essential_acr_nobody_can_meet_is_a_failed_sign_in(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    rp = await first_party(provider, second_factors=("passkey",))
    claims = {"id_token": {"acr": {"essential": True, "values": ["2"]}}}
    done = await password_step(browser, authorization_params(rp, claims=json.dumps(claims)))
    params = callback_params(done)
    assert params["error"] == "unmet_authentication_requirements"
    assert params["state"] == "s-123"
    assert params["iss"] == ISSUER


async def test_mfa_without_a_second_factor_sends_the_person_to_set_one_up_and_back(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    rp = await first_party(provider, require_mfa=True)
    after_password = await password_step(browser, authorization_params(rp))
    assert after_password.status_code == 303
    location = after_password.headers["location"]
    assert location.startswith("/account/totp?continue=")
    enrol_page = await browser.open(location)
    assert "<svg" in enrol_page.text
    secret = re.sub(r"\s", "", re.search(r'id="totp-key"[^>]*>([^<]+)<', enrol_page.text)[1])
    totp = pyotp.TOTP(secret)
    codes_page = await browser.http.post(
        re.search(r'<form method="post" action="([^"]+)"', enrol_page.text)[1].replace(
            "&amp;", "&"
        ),
        data={"csrf_token": _csrf(enrol_page.text), "code": totp.now()},
    )
    assert codes_page.status_code == 200
    back = re.search(r'href="(/login\?flow=[^"]+)"', codes_page.text)
    assert back, "the recovery codes page leads back to the sign-in"
    page = await browser.open(back[1].replace("&amp;", "&"))
    done = await browser.submit(page, "/login", method="totp", code=next_code(totp))
    claims = await id_token_claims(browser, (await redeem(browser, rp, done))["id_token"])
    assert set(claims["amr"]) == {"pwd", "otp", "mfa"}


async def test_discovery_lists_the_acr_values_it_can_report(http: httpx.AsyncClient) -> None:
    metadata = (await http.get("/.well-known/openid-configuration")).json()
    assert {"1", "2", "phr", "phrh"} <= set(metadata["acr_values_supported"])


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found[1]
