"""The sign-in page offers what the client's policy allows, and nothing else gets through; a
password imported from another system works and is upgraded on the way."""

from __future__ import annotations

from typing import Any

import pytest
from passlib.hash import bcrypt, pbkdf2_sha256, scrypt

from ciam_oidc.app import Provider, build_provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.users import UserRequest, new_user
from ciam_oidc.settings import Settings
from tests.spec.browser import (
    PASSWORD,
    Browser,
    add_customer,
    authorization_params,
    callback_params,
    register_rp,
)
from tests.spec.oidc_core.conftest import ISSUER


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"issuer": ISSUER, "dev_mailbox": True}


def offered(html: str) -> set[str]:
    return {
        method
        for method in ("password", "passkey", "magic_link", "totp")
        if f'name="method" value="{method}"' in html
    }


async def test_the_page_offers_the_server_default_first_factors(
    browser: Browser, provider: Provider
) -> None:
    rp = await register_rp(provider)
    started = await browser.authorize(authorization_params(rp))
    page = await browser.open(started.headers["location"])
    assert offered(page.text) == {"password", "passkey", "magic_link"}
    assert 'autocomplete="username webauthn"' in page.text  # passkeys in the autofill


async def test_without_a_way_to_send_mail_no_link_is_offered(settings: Settings) -> None:
    provider = build_provider(settings.model_copy(update={"dev_mailbox": False}))
    try:
        assert provider.sign_in.magic_links is None
        assert provider.interactions.methods.get("magic_link") is None
    finally:
        await provider.close()


async def test_a_method_the_client_does_not_allow_is_neither_shown_nor_accepted(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)
    rp = await register_rp(provider, first_factors=("passkey",))
    started = await browser.authorize(authorization_params(rp))
    page = await browser.open(started.headers["location"])
    assert offered(page.text) == {"passkey"}
    # A password form posted anyway (an old tab, a crafted request) signs nobody in.
    refused = await browser.submit(page, "/login", email="alice@example.com", password=PASSWORD)
    assert refused.status_code == 200
    assert "Choose a way to sign in" in refused.text
    assert "ciam_session" not in refused.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "legacy", [bcrypt.hash, pbkdf2_sha256.hash, scrypt.hash], ids=["bcrypt", "pbkdf2", "scrypt"]
)
async def test_an_imported_password_signs_in_and_is_upgraded_to_argon2id(
    browser: Browser, provider: Provider, legacy: object
) -> None:
    assert callable(legacy)
    user = new_user(UserRequest(email="imported@example.com"), legacy(PASSWORD), utc_now())
    await provider.users.add_user(user)
    rp = await register_rp(provider, first_party=True)
    done = await browser.sign_in(
        await browser.authorize(authorization_params(rp)), email="imported@example.com"
    )
    assert callback_params(done)["code"]
    stored = await provider.users.get_user(user.sub)
    assert stored is not None
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    # The upgraded hash is the same password.
    again = await browser.sign_in(
        await browser.authorize(authorization_params(rp, prompt="login")),
        email="imported@example.com",
    )
    assert callback_params(again)["code"]


async def test_sign_ins_and_consents_land_in_the_audit_trail(
    browser: Browser, provider: Provider
) -> None:
    sub = await add_customer(provider)
    rp = await register_rp(provider)
    started = await browser.authorize(authorization_params(rp))
    page = await browser.open(started.headers["location"])
    await browser.submit(page, "/login", email="alice@example.com", password="wrong")
    await browser.submit(page, "/login", email="nobody@example.com", password="wrong")
    await browser.consent(await browser.sign_in(await browser.authorize(authorization_params(rp))))
    events = [(e.type.value, e.sub, dict(e.details)) for e in await provider.audit.store.events()]
    assert events == [
        ("consent.granted", sub, {"client_id": rp.client_id, "scope": "openid email"}),
        ("sign_in.succeeded", sub, {"method": "password"}),
        ("sign_in.failed", None, {"method": "password"}),  # no address is recorded
        ("sign_in.failed", sub, {"method": "password"}),
    ]
    assert all(e.ip for e in await provider.audit.store.events(sub=sub))
