"""Authentication request parameters a client may leave to its registration or to us:
display (OpenID Connect Core §3.1.2.1), claims_locales (§5.2), default_max_age
and default_acr_values (Dynamic Client Registration §2)."""

from __future__ import annotations

import pytest

from ciam_oidc.app import Provider
from tests.spec.browser import (
    Browser,
    add_customer,
    authorization_params,
    callback_params,
    register_rp,
)
from tests.spec.oidc_core.test_acr_step_up import enrol_totp


@pytest.mark.parametrize("display", ["page", "popup", "touch", "wap"])
async def test_every_display_value_is_accepted(
    browser: Browser, provider: Provider, display: str
) -> None:
    rp = await register_rp(provider)
    response = await browser.authorize(authorization_params(rp, display=display))
    assert response.status_code == 302
    assert "/login?" in response.headers["location"]


async def test_an_unknown_display_value_is_an_error(browser: Browser, provider: Provider) -> None:
    rp = await register_rp(provider)
    response = await browser.authorize(authorization_params(rp, display="tv"))
    assert callback_params(response)["error"] == "invalid_request"


async def test_claims_locales_is_accepted(browser: Browser, provider: Provider) -> None:
    rp = await register_rp(provider)
    response = await browser.authorize(authorization_params(rp, claims_locales="de es"))
    assert "/login?" in response.headers["location"]


async def test_default_max_age_applies_when_the_request_has_none(
    browser: Browser, provider: Provider
) -> None:
    """A default of 0 asks for a sign-in every time; a request's own max_age wins."""
    await add_customer(provider)
    rp = await register_rp(provider, default_max_age=0)
    params = authorization_params(rp, scope="openid")
    done = await browser.sign_in(await browser.authorize(params))
    assert "code" in callback_params(done)  # just signed in: recent enough

    again = await browser.authorize(params)
    assert "/login?" in again.headers["location"]

    with_max_age = await browser.authorize({**params, "max_age": "3600"})
    assert "code" in callback_params(with_max_age)


async def test_discovery_lists_the_display_values(browser: Browser) -> None:
    metadata = (await browser.http.get("/.well-known/openid-configuration")).json()
    assert metadata["display_values_supported"] == ["page", "popup", "touch", "wap"]
    assert "claims_locales_supported" not in metadata  # claims are not localized


async def test_default_acr_values_apply_when_the_request_has_none(
    browser: Browser, provider: Provider
) -> None:
    """A client preferring two factors gets the second asked for; a request naming its own
    acr_values is not held to the default."""
    sub = await add_customer(provider)
    await enrol_totp(provider, sub)
    rp = await register_rp(provider, default_acr_values=("2",))
    params = authorization_params(rp, scope="openid")
    after_password = await browser.sign_in(await browser.authorize(params))
    assert "/login?" in after_password.headers["location"]  # the second factor, next

    # Signed in with a password only: enough for a request that asks for "1" itself.
    own_choice = await browser.authorize({**params, "acr_values": "1"})
    assert "code" in callback_params(own_choice)
