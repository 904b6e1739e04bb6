"""The language of pages and mail (OpenID Connect Core §3.1.2.1 `ui_locales`, then the
browser's Accept-Language, RFC 9110 §12.5.4): chosen once, it holds for the pages that follow
in the same browser and for the mail they send."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from ciam_oidc.app import Provider
from tests.spec.browser import (
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    csrf_token,
    flow_id,
    register_rp,
)
from tests.spec.http import http_client
from tests.spec.self_service.conftest import ISSUER, Inbox

EMAIL = "alice@example.com"


@pytest.fixture
async def rp(provider: Provider) -> RelyingParty:
    return await register_rp(provider, first_party=True)


async def sign_in_page(
    browser: Browser, rp: RelyingParty, accept_language: str | None = None, **params: str
) -> httpx.Response:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    query = urlencode(authorization_params(rp, **params))
    started = await browser.http.get(f"/authorize?{query}", headers=headers)
    assert started.status_code == 302, started.text
    return await browser.http.get(started.headers["location"], headers=headers)


def heading(page: httpx.Response) -> str:
    found = re.search(r"<h1>([^<]+)</h1>", page.text)
    assert found, page.text
    return found[1]


def language(page: httpx.Response) -> str:
    found = re.search(r'<html lang="([^"]+)">', page.text)
    assert found, page.text
    return found[1]


async def test_without_a_preference_pages_are_english(browser: Browser, rp: RelyingParty) -> None:
    page = await sign_in_page(browser, rp)
    assert (language(page), heading(page)) == ("en", "Sign in")
    assert '<button type="submit">Sign in</button>' in page.text


@pytest.mark.parametrize(
    ("ui_locales", "expected"),
    [
        ("de", ("de", "Anmelden", "E-Mail-Adresse")),
        ("es", ("es", "Iniciar sesión", "Correo electrónico")),
        ("fr-CA es-MX", ("es", "Iniciar sesión", "Correo electrónico")),  # the first we have
    ],
)
async def test_ui_locales_chooses_the_language_of_the_sign_in_page(
    browser: Browser, rp: RelyingParty, ui_locales: str, expected: tuple[str, str, str]
) -> None:
    lang, sign_in, email = expected
    page = await sign_in_page(browser, rp, ui_locales=ui_locales)
    assert (language(page), heading(page)) == (lang, sign_in)
    assert f'<button type="submit">{sign_in}</button>' in page.text
    assert f'<label for="email">{email}</label>' in page.text


async def test_accept_language_is_followed_without_ui_locales(
    browser: Browser, rp: RelyingParty
) -> None:
    page = await sign_in_page(browser, rp, accept_language="es-ES,es;q=0.9,en;q=0.5")
    assert (language(page), heading(page)) == ("es", "Iniciar sesión")


async def test_ui_locales_wins_over_accept_language_on_every_page_after(
    browser: Browser, rp: RelyingParty
) -> None:
    page = await sign_in_page(browser, rp, accept_language="es", ui_locales="de")
    assert (language(page), heading(page)) == ("de", "Anmelden")
    # The browser still prefers Spanish, but its choice for this sign-in was German.
    reset = await browser.http.get("/reset", headers={"Accept-Language": "es"})
    assert (language(reset), heading(reset)) == ("de", "Passwort zurücksetzen")


async def test_the_choice_sticks_for_the_pages_that_follow(
    browser: Browser, provider: Provider, rp: RelyingParty
) -> None:
    await add_customer(provider)
    page = await sign_in_page(browser, rp, ui_locales="de")
    refused = await browser.submit(page, "/login", email=EMAIL, password="not the password")
    assert language(refused) == "de"
    assert "Die E-Mail-Adresse oder das Passwort ist falsch." in refused.text

    register = await browser.open(f"/register?{urlencode({'flow': flow_id(page.text)})}")
    assert (language(register), heading(register)) == ("de", "Konto erstellen")
    expired = await browser.open("/login?flow=no-such-flow")
    assert (language(expired), heading(expired)) == ("de", "Diese Anmeldung ist abgelaufen")


async def test_a_new_ui_locales_changes_the_remembered_language(
    browser: Browser, rp: RelyingParty
) -> None:
    await sign_in_page(browser, rp, ui_locales="de")
    page = await sign_in_page(browser, rp, ui_locales="es")
    assert heading(page) == "Iniciar sesión"
    assert heading(await browser.open("/reset")) == "Restablecer tu contraseña"


async def test_a_reset_link_asked_for_on_a_german_page_is_mailed_in_german(
    browser: Browser, provider: Provider, rp: RelyingParty, inbox: Inbox
) -> None:
    await add_customer(provider)
    await sign_in_page(browser, rp, ui_locales="de")
    form = await browser.open("/reset")
    sent = await browser.http.post(
        "/reset", data={"csrf_token": csrf_token(form.text), "email": EMAIL}
    )
    assert sent.status_code == 303
    answer = await browser.open(sent.headers["location"])
    assert "Falls zu dieser Adresse ein Konto existiert" in answer.text
    assert "30 Minuten lang" in answer.text

    [message] = await inbox.mail_to(EMAIL)
    assert message["Subject"] == "Setzen Sie Ihr Passwort für ciam-oidc zurück"
    assert "Öffnen Sie diesen Link, um ein neues Passwort zu wählen" in await inbox.text_to(EMAIL)


async def test_a_sign_in_link_asked_for_on_a_spanish_page_is_mailed_in_spanish(
    browser: Browser, provider: Provider, inbox: Inbox
) -> None:
    """The mail goes out from a background task, after the answer: it keeps the language."""
    await add_customer(provider)
    shop = await register_rp(provider, first_party=True, name="Tienda")
    page = await sign_in_page(browser, shop, ui_locales="es")
    answer = await browser.submit(page, "/login", method="magic_link", email=EMAIL)
    assert "le hemos enviado un enlace de inicio de sesión" in answer.text

    [message] = await inbox.mail_to(EMAIL)
    assert message["Subject"] == "Tu enlace de inicio de sesión para Tienda"
    assert (await inbox.text_to(EMAIL)).startswith("Abre este enlace para iniciar sesión:")


async def test_two_browsers_each_keep_their_own_language(
    app: FastAPI, browser: Browser, rp: RelyingParty
) -> None:
    await sign_in_page(browser, rp, ui_locales="de")
    async with http_client(app, ISSUER) as other:
        spanish = await sign_in_page(Browser(other), rp, ui_locales="es")
    german = await browser.open("/reset")
    assert (heading(spanish), heading(german)) == ("Iniciar sesión", "Passwort zurücksetzen")
