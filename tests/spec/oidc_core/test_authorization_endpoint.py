"""The authorization endpoint through a scripted browser (RFC 6749 §4.1, OIDC Core §3.1.2)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ciam_oidc.app import Provider
from ciam_oidc.settings import Settings
from tests.spec.browser import (
    PASSWORD,
    REDIRECT_URI,
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    callback_params,
    flow_id,
    register_rp,
)
from tests.spec.oidc_core.conftest import ISSUER


@pytest.fixture
async def rp(provider: Provider) -> RelyingParty:
    await add_customer(provider)
    return await register_rp(provider)


def assert_error_redirect(response: httpx.Response, error: str, state: str = "s-123") -> None:
    params = callback_params(response)
    assert params["error"] == error, params
    assert params["state"] == state
    assert params["iss"] == ISSUER  # RFC 9207 §2


async def test_sign_in_and_consent_end_with_a_code_state_and_iss(
    browser: Browser, rp: RelyingParty
) -> None:
    signed_in = await browser.sign_in(await browser.authorize(authorization_params(rp)))
    done = await browser.consent(signed_in)
    assert done.status_code == 303
    assert done.headers["cache-control"] == "no-store"
    params = callback_params(done)
    assert params["code"]
    assert params["state"] == "s-123"
    assert params["iss"] == ISSUER


async def test_the_session_and_remembered_consent_skip_both_pages(
    browser: Browser, rp: RelyingParty
) -> None:
    await browser.consent(await browser.sign_in(await browser.authorize(authorization_params(rp))))
    again = await browser.authorize(authorization_params(rp, state="second"))
    assert again.status_code == 302
    assert callback_params(again)["code"]


async def test_prompt_none_without_a_session_is_login_required(
    browser: Browser, rp: RelyingParty
) -> None:
    response = await browser.authorize(authorization_params(rp, prompt="none"))
    assert_error_redirect(response, "login_required")


async def test_prompt_none_with_a_session_but_no_consent_is_consent_required(
    browser: Browser, rp: RelyingParty
) -> None:
    await browser.sign_in(await browser.authorize(authorization_params(rp)))
    response = await browser.authorize(authorization_params(rp, prompt="none"))
    assert_error_redirect(response, "consent_required")


async def test_prompt_none_with_a_session_and_consent_returns_a_code(
    browser: Browser, rp: RelyingParty
) -> None:
    await browser.consent(await browser.sign_in(await browser.authorize(authorization_params(rp))))
    response = await browser.authorize(authorization_params(rp, prompt="none"))
    assert callback_params(response)["code"]


@pytest.mark.parametrize("changes", [{"prompt": "login"}, {"max_age": "0"}])
async def test_prompt_login_and_max_age_zero_ask_for_the_password_again(
    browser: Browser, rp: RelyingParty, changes: dict[str, str]
) -> None:
    await browser.consent(await browser.sign_in(await browser.authorize(authorization_params(rp))))
    response = await browser.authorize(authorization_params(rp, **changes))
    assert response.status_code == 302
    assert "/login?" in response.headers["location"]
    signed_in = await browser.sign_in(response)
    assert callback_params(signed_in)["code"]


async def test_unknown_client_gets_a_page_and_no_redirect(
    browser: Browser, rp: RelyingParty
) -> None:
    response = await browser.authorize(authorization_params(rp, client_id="nobody"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "text/html" in response.headers["content-type"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://attacker.example/cb",
        REDIRECT_URI + "/",  # RFC 9700 §4.1.3: exact string match, no normalisation
        REDIRECT_URI + "?x=1",
        "",
    ],
)
async def test_an_unregistered_redirect_uri_is_never_redirected_to(
    browser: Browser, rp: RelyingParty, redirect_uri: str
) -> None:
    response = await browser.authorize(authorization_params(rp, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"request": "eyJ..."}, "invalid_request_object"),
    ],
)
async def test_bad_requests_go_back_to_the_client_with_the_exact_error(
    browser: Browser, rp: RelyingParty, changes: dict[str, str], error: str
) -> None:
    assert_error_redirect(await browser.authorize(authorization_params(rp, **changes)), error)


async def test_denied_consent_is_access_denied(browser: Browser, rp: RelyingParty) -> None:
    signed_in = await browser.sign_in(await browser.authorize(authorization_params(rp)))
    assert_error_redirect(await browser.consent(signed_in, decision="deny"), "access_denied")


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    browser: Browser, rp: RelyingParty
) -> None:
    start = await browser.authorize(authorization_params(rp))
    page = await browser.open(start.headers["location"])
    wrong = await browser.submit(page, "/login", email="alice@example.com", password="nope")
    unknown = await browser.submit(page, "/login", email="bob@example.com", password="nope")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "The email address or password is incorrect." in response.text
        assert (
            "set-cookie" not in response.headers
            or "ciam_session" not in response.headers["set-cookie"]
        )


async def test_a_form_without_its_csrf_token_is_refused(browser: Browser, rp: RelyingParty) -> None:
    start = await browser.authorize(authorization_params(rp))
    page = await browser.open(start.headers["location"])
    response = await browser.http.post(
        "/login",
        data={"flow": flow_id(page.text), "email": "alice@example.com", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert "location" not in response.headers


async def test_session_cookie_is_host_prefixed_secure_httponly_lax(
    browser: Browser, rp: RelyingParty
) -> None:
    signed_in = await browser.sign_in(await browser.authorize(authorization_params(rp)))
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if "ciam_session" in c)
    assert cookie.startswith("__Host-ciam_session=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
    assert not any(part.startswith("domain") for part in attributes)


async def test_form_post_response_mode_posts_the_response_to_the_client(
    browser: Browser, rp: RelyingParty
) -> None:
    await browser.consent(await browser.sign_in(await browser.authorize(authorization_params(rp))))
    response = await browser.authorize(authorization_params(rp, response_mode="form_post"))
    assert response.status_code == 200
    assert f'action="{REDIRECT_URI}"' in response.text
    assert 'name="code"' in response.text
    assert f'name="iss" value="{ISSUER}"' in response.text
    # The client's answer to the post may redirect on: no form-action may stop that.
    policy = response.headers["content-security-policy"]
    assert "form-action" not in policy
    assert "script-src 'nonce-" in policy


async def test_fragment_response_mode_puts_the_code_in_the_fragment(
    browser: Browser, rp: RelyingParty
) -> None:
    await browser.consent(await browser.sign_in(await browser.authorize(authorization_params(rp))))
    response = await browser.authorize(authorization_params(rp, response_mode="fragment"))
    assert "#" in response.headers["location"]
    assert callback_params(response)["code"]


async def test_pages_cannot_be_framed(browser: Browser, rp: RelyingParty) -> None:
    start = await browser.authorize(authorization_params(rp))
    page = await browser.open(start.headers["location"])
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


async def test_discovery_advertises_the_authorization_endpoint(
    browser: Browser, settings: Settings
) -> None:
    document = (await browser.http.get("/.well-known/openid-configuration")).json()
    assert document["authorization_endpoint"] == ISSUER + "/authorize"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_response_iss_parameter_supported"] is True


async def test_sign_in_and_consent_forms_may_end_wherever_the_client_redirects(
    browser: Browser, rp: RelyingParty
) -> None:
    """Browsers apply form-action to every redirect that follows a form (CSP Level 3), and the
    client's callback redirects on to places no policy of ours can name."""
    start = await browser.authorize(authorization_params(rp))
    login_page = await browser.open(start.headers["location"])
    signed_in = await browser.submit(
        login_page, "/login", email="alice@example.com", password=PASSWORD
    )
    consent_page = await browser.open(signed_in.headers["location"])
    for page in (login_page, consent_page):
        policy = page.headers["content-security-policy"]
        assert "form-action" not in policy
        assert "frame-ancestors 'none'" in policy


async def test_a_double_submitted_sign_in_issues_one_code_and_no_error(
    browser: Browser, provider: Provider
) -> None:
    """Two tabs or a double click: one submission wins, the other sees an expired page.

    Two at once: every attempt counts until one succeeds, so more would meet the password
    throttle's waits (CIAM_LOGIN_DELAY_AFTER), whose page is a third outcome.
    """
    await add_customer(provider)
    first_party = await register_rp(provider, first_party=True)
    start = await browser.authorize(authorization_params(first_party))
    page = await browser.open(start.headers["location"])
    answers = await asyncio.gather(
        *(
            browser.submit(page, "/login", email="alice@example.com", password=PASSWORD)
            for _ in range(2)
        )
    )
    codes = [a for a in answers if a.status_code == 303 and "code=" in a.headers["location"]]
    assert len(codes) == 1
    assert all(a.status_code in {303, 400} for a in answers), [a.status_code for a in answers]


@pytest.mark.parametrize("max_age", ["²", "9" * 5000, str(10**20)])
async def test_a_max_age_that_is_not_a_sane_integer_is_invalid_request(
    browser: Browser, rp: RelyingParty, max_age: str
) -> None:
    await browser.consent(await browser.sign_in(await browser.authorize(authorization_params(rp))))
    assert_error_redirect(
        await browser.authorize(authorization_params(rp, max_age=max_age)), "invalid_request"
    )


async def test_deeply_nested_claims_are_invalid_request(browser: Browser, rp: RelyingParty) -> None:
    response = await browser.authorize(authorization_params(rp, claims="[" * 20_000))
    assert_error_redirect(response, "invalid_request")


async def test_a_repeated_parameter_gets_a_page_and_no_redirect(
    browser: Browser, rp: RelyingParty
) -> None:
    """RFC 6749 §3.1: parameters MUST NOT be included more than once."""
    query = "&".join(f"{k}={v}" for k, v in authorization_params(rp).items())
    response = await browser.http.get(f"/authorize?{query}&state=again")
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("registered", "used", "accepted"),
    [
        ("http://127.0.0.1/cb", "http://127.0.0.1:53124/cb", True),  # RFC 8252 §7.3
        ("http://[::1]:8080/cb", "http://[::1]:61000/cb", True),
        ("http://127.0.0.1/cb", "http://127.0.0.1:53124/other", False),
        ("http://localhost/cb", "http://localhost:53124/cb", False),  # §8.3: names are not IPs
    ],
)
async def test_native_apps_may_pick_any_loopback_port(
    browser: Browser, provider: Provider, registered: str, used: str, accepted: bool
) -> None:
    native = await register_rp(
        provider, redirect_uris=(registered,), token_endpoint_auth_method="none"
    )
    response = await browser.authorize(authorization_params(native, redirect_uri=used))
    if accepted:
        assert response.status_code == 302
        assert "/login?" in response.headers["location"]
    else:
        assert response.status_code == 400
        assert "location" not in response.headers
