"""Server-rendered pages: escaping, caching, accessibility basics and the error page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import jinja2
import pytest
from fastapi import FastAPI, Request
from starlette.responses import Response

from ciam_oidc.web.locale import LocaleMiddleware
from ciam_oidc.web.pages import Pages, static_files

HOSTILE = '<script>alert("pwned")</script>'


def page_app(pages: Pages) -> FastAPI:
    app = FastAPI()
    app.mount("/static", static_files())

    @app.get("/page")
    async def page(request: Request) -> Response:
        context = {"title": "Sign in", "message": request.query_params.get("message", "Hi")}
        return pages.render("error.html", context, headers={"X-Request-Id": "r1"})

    @app.get("/error")
    async def error(request: Request) -> Response:
        return pages.error_page(
            request.query_params.get("title", "Request not valid"),
            request.query_params.get("message", "Go back and try again."),
            400,
            return_url=request.query_params.get("return_url"),
        )

    @app.get("/boom")
    async def boom() -> Response:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    async def unexpected(_request: Request, _error: Exception) -> Response:
        return pages.error_page("Something went wrong", "Please try again later.", 500)

    app.add_exception_handler(Exception, unexpected)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # The 500 handler answers and Starlette then re-raises; the browser only sees the answer.
    transport = httpx.ASGITransport(app=page_app(Pages()), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://idp.example") as client:
        yield client


async def test_hostile_input_is_escaped(client: httpx.AsyncClient) -> None:
    response = await client.get("/error", params={"title": HOSTILE, "message": HOSTILE})
    assert "<script" not in response.text
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in response.text


@pytest.mark.parametrize("path", ["/page", "/error", "/boom"])
async def test_pages_are_html_that_no_cache_keeps(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"


async def test_render_keeps_the_callers_status_and_headers(client: httpx.AsyncClient) -> None:
    page = await client.get("/page")
    error = await client.get("/error")
    assert (page.status_code, page.headers["x-request-id"]) == (200, "r1")
    assert error.status_code == 400


async def test_unexpected_error_page_hides_the_exception(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    for leak in ("hunter2", "db.internal", "RuntimeError", "Traceback"):
        assert leak not in response.text


async def test_page_is_accessible_without_scripts_or_inline_styles(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/page")).text
    assert '<html lang="en">' in html
    assert "<main>" in html
    assert "<h1>Sign in</h1>" in html
    assert "<title>Sign in</title>" in html
    assert '<link rel="stylesheet" href="/static/ciam.css">' in html
    for inline in ("<script", "<style", "style=", "onclick"):
        assert inline not in html


async def test_page_language_is_the_one_the_request_is_answered_in() -> None:
    app = LocaleMiddleware(page_app(Pages()), default="en", secure=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://idp.example") as client:
        html = (await client.get("/page", headers={"Accept-Language": "es-MX, en;q=0.5"})).text
    assert '<html lang="es">' in html


async def test_stylesheet_is_served_with_a_visible_focus_style(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/ciam.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in response.text


def test_stylesheet_follows_the_static_url() -> None:
    response = Pages(static_url="/tenant/static/").render(
        "error.html", {"title": "t", "message": "m"}
    )
    assert b'href="/tenant/static/ciam.css"' in response.body


async def test_return_link_appears_for_a_verified_url(client: httpx.AsyncClient) -> None:
    url = 'https://rp.example/cb?state=a&x="><b>'
    html = (await client.get("/error", params={"return_url": url})).text
    expected = 'href="https://rp.example/cb?state=a&amp;x=&#34;&gt;&lt;b&gt;"'
    assert expected in html
    assert "Return to the application" in html


@pytest.mark.parametrize(
    "url",
    [
        None,
        "javascript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/relative/path",
        "//rp.example/cb",
    ],
)
async def test_return_link_is_left_out_unless_an_absolute_http_url(
    client: httpx.AsyncClient, url: str | None
) -> None:
    params = {"return_url": url} if url is not None else {}
    html = (await client.get("/error", params=params)).text
    assert "Return to the application" not in html
    assert "<a " not in html


def test_a_variable_missing_from_the_context_is_an_error_not_a_blank() -> None:
    with pytest.raises(jinja2.UndefinedError):
        Pages().render("error.html", {"title": "Only a title"})
