"""Signed double-submit CSRF tokens: bound to one browser, one form purpose and one secret."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.responses import PlainTextResponse, Response

from ciam_oidc.web.csrf import FORM_FIELD, CsrfProtection, CsrfRejected

SECRET = b"test-master-secret-0123456789abcdef"
HTTPS_ISSUER = "https://idp.example"


def node(secret: bytes = SECRET, secure: bool = True) -> FastAPI:
    """One provider node: a form page and the handler its form posts to."""
    csrf = CsrfProtection(secret, secure=secure)
    app = FastAPI()

    @app.get("/form/{purpose}")
    async def show_form(request: Request, purpose: str) -> Response:
        issued = csrf.issue(request, purpose)
        response = PlainTextResponse(issued.token)  # stands in for a rendered page
        csrf.set_cookie(response, issued)
        return response

    @app.post("/form/{purpose}")
    async def submit_form(request: Request, purpose: str) -> Response:
        form = parse_qs((await request.body()).decode())
        try:
            csrf.check(request, form.get(FORM_FIELD, [None])[0], purpose)
        except CsrfRejected as rejected:
            return PlainTextResponse(str(rejected), status_code=403)
        return PlainTextResponse("accepted")

    return app


def browser(
    app: FastAPI, base_url: str = HTTPS_ISSUER, cookies: httpx.Cookies | None = None
) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url=base_url, cookies=cookies)


async def submit(client: httpx.AsyncClient, purpose: str, token: str | None) -> httpx.Response:
    data = {FORM_FIELD: token} if token is not None else {}
    return await client.post(f"/form/{purpose}", data=data)


def cookie_attributes(response: httpx.Response) -> tuple[str, set[str]]:
    [header] = response.headers.get_list("set-cookie")
    name_value, *attributes = (part.strip() for part in header.split(";"))
    return name_value.split("=", 1)[0], {attribute.lower() for attribute in attributes}


async def test_cookie_over_https_is_host_prefixed_secure_httponly_and_lax() -> None:
    async with browser(node()) as client:
        response = await client.get("/form/login")
    name, attributes = cookie_attributes(response)
    assert name == "__Host-ciam_csrf"
    assert attributes == {"secure", "httponly", "samesite=lax", "path=/"}


async def test_cookie_on_plain_http_localhost_has_no_prefix_and_no_secure_flag() -> None:
    async with browser(node(secure=False), "http://localhost:8000") as client:
        response = await client.get("/form/login")
        accepted = await submit(client, "login", response.text)
    name, attributes = cookie_attributes(response)
    assert name == "ciam_csrf"
    assert attributes == {"httponly", "samesite=lax", "path=/"}
    assert accepted.text == "accepted"


async def test_token_from_the_page_is_accepted() -> None:
    async with browser(node()) as client:
        token = (await client.get("/form/login")).text
        response = await submit(client, "login", token)
    assert (response.status_code, response.text) == (200, "accepted")


async def test_later_pages_keep_the_cookie_so_earlier_tabs_still_work() -> None:
    async with browser(node()) as client:
        first_tab = (await client.get("/form/login")).text
        second = await client.get("/form/login")
        assert "set-cookie" not in second.headers
        assert (await submit(client, "login", first_tab)).text == "accepted"
        assert (await submit(client, "login", second.text)).text == "accepted"


async def test_each_page_gets_a_different_token_so_compression_cannot_reveal_it() -> None:
    async with browser(node()) as client:
        tokens = {(await client.get("/form/login")).text for _ in range(3)}
    assert len(tokens) == 3


async def test_rejects_a_post_without_the_cookie() -> None:
    app = node()
    async with browser(app) as client:
        token = (await client.get("/form/login")).text
    async with browser(app) as cookieless:
        response = await submit(cookieless, "login", token)
    assert (response.status_code, response.text) == (403, "no CSRF cookie")


async def test_rejects_a_post_without_the_token() -> None:
    async with browser(node()) as client:
        await client.get("/form/login")
        response = await submit(client, "login", None)
    assert (response.status_code, response.text) == (403, "no CSRF token in the form")


async def test_rejects_a_token_issued_for_another_form() -> None:
    async with browser(node()) as client:
        token = (await client.get("/form/login")).text
        response = await submit(client, "consent", token)
    assert response.status_code == 403


async def test_rejects_a_token_issued_to_another_browser() -> None:
    app = node()
    async with browser(app) as attacker, browser(app) as victim:
        attackers_token = (await attacker.get("/form/login")).text
        await victim.get("/form/login")
        response = await submit(victim, "login", attackers_token)
    assert response.status_code == 403


@pytest.mark.parametrize("token", ["garbage", "!!!!", "A" * 64, "A" * 63, "=", "é" * 10, "a.b.c"])
async def test_rejects_a_malformed_token(token: str) -> None:
    async with browser(node()) as client:
        await client.get("/form/login")
        response = await submit(client, "login", token)
    assert response.status_code == 403


async def test_rejects_a_tampered_token() -> None:
    async with browser(node()) as client:
        token = (await client.get("/form/login")).text
        flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
        response = await submit(client, "login", flipped)
    assert response.status_code == 403


async def token_from_another_node(first: FastAPI, second: FastAPI) -> httpx.Response:
    """Load the form from `second` with the cookie `first` set, then post it to `first`."""
    async with browser(first) as client:
        await client.get("/form/login")
        async with browser(second, cookies=client.cookies) as same_browser:
            token = (await same_browser.get("/form/login")).text
        return await submit(client, "login", token)


async def test_accepts_a_token_another_node_issued_with_the_same_secret() -> None:
    response = await token_from_another_node(node(SECRET), node(SECRET))
    assert response.text == "accepted"


async def test_rejects_a_token_signed_with_another_secret() -> None:
    response = await token_from_another_node(node(SECRET), node(b"another-secret-" * 3))
    assert response.status_code == 403
