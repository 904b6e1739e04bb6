"""CIAM_PKCE_REQUIRED=public: confidential clients may omit PKCE (RFC 9700 §2.1.1 makes it a
SHOULD for them, and the OpenID conformance suite's OP plans send none), public clients may
not, and a PKCE exchange that was started is still held to (no downgrade)."""

from __future__ import annotations

from typing import Any

import pytest

from ciam_oidc.app import Provider
from tests.spec.browser import (
    REDIRECT_URI,
    VERIFIER,
    Browser,
    add_customer,
    authorization_params,
    callback_params,
    register_rp,
)
from tests.spec.oidc_core.conftest import ISSUER


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"issuer": ISSUER, "pkce_required": "public"}


def without_pkce(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if not k.startswith("code_challenge")}


async def exchange(browser: Browser, client: tuple[str, str], code: str, **extra: str) -> Any:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    return await browser.http.post("/token", data=form | extra, auth=client)


async def test_a_confidential_client_may_leave_pkce_out(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider, first_party=True)
    done = await browser.sign_in(await browser.authorize(without_pkce(authorization_params(rp))))
    code = callback_params(done)["code"]

    answer = await exchange(browser, (rp.client_id, rp.secret), code)
    assert answer.status_code == 200, answer.text
    assert "id_token" in answer.json()


async def test_a_verifier_for_a_code_issued_without_challenge_is_still_a_downgrade(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider, first_party=True)
    done = await browser.sign_in(await browser.authorize(without_pkce(authorization_params(rp))))
    code = callback_params(done)["code"]

    answer = await exchange(browser, (rp.client_id, rp.secret), code, code_verifier=VERIFIER)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


async def test_a_public_client_still_needs_pkce(browser: Browser, provider: Provider) -> None:
    rp = await register_rp(provider, token_endpoint_auth_method="none")
    response = await browser.authorize(without_pkce(authorization_params(rp)))
    params = callback_params(response)
    assert params["error"] == "invalid_request"
    assert "code_challenge" in params["error_description"]


async def test_a_challenge_that_is_sent_is_enforced(browser: Browser, provider: Provider) -> None:
    rp = await register_rp(provider)
    plain = authorization_params(rp, code_challenge_method="plain")
    assert callback_params(await browser.authorize(plain))["error"] == "invalid_request"
