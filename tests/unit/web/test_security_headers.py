"""Hardening headers on every response, without overriding a route's own and without buffering."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ciam_oidc.web.security_headers import CONTENT_SECURITY_POLICY, SecurityHeaders

EXPECTED = {
    "x-frame-options": "DENY",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
FORM_POST_CSP = "default-src 'none'; form-action https://rp.example"


def routes() -> FastAPI:
    app = FastAPI()

    @app.get("/page")
    async def page() -> Response:
        return HTMLResponse("<p>hello</p>")

    @app.get("/json")
    async def json() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/form-post")
    async def form_post() -> Response:
        return HTMLResponse("<form></form>", headers={"Content-Security-Policy": FORM_POST_CSP})

    @app.get("/boom")
    async def boom() -> Response:
        raise RuntimeError("unexpected")

    async def unexpected(_request: object, _error: Exception) -> Response:
        return HTMLResponse("<p>Something went wrong</p>", status_code=500)

    app.add_exception_handler(Exception, unexpected)
    return app


def client_for(app: ASGIApp, base_url: str = "https://idp.example") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


def with_middleware(hsts: bool) -> FastAPI:
    app = routes()
    app.add_middleware(SecurityHeaders, hsts=hsts)
    return app


@pytest.mark.parametrize(("path", "status"), [("/page", 200), ("/json", 200), ("/nowhere", 404)])
async def test_every_response_carries_the_headers(path: str, status: int) -> None:
    async with client_for(with_middleware(hsts=True)) as client:
        response = await client.get(path)
    assert response.status_code == status
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value]


async def test_a_routes_own_policy_is_kept_and_the_rest_still_added() -> None:
    async with client_for(with_middleware(hsts=True)) as client:
        response = await client.get("/form-post")
    assert response.headers.get_list("content-security-policy") == [FORM_POST_CSP]
    assert response.headers["x-frame-options"] == "DENY"


async def test_hsts_only_when_the_issuer_is_https() -> None:
    async with client_for(with_middleware(hsts=True)) as client:
        https = await client.get("/page")
    async with client_for(with_middleware(hsts=False), "http://localhost:8000") as client:
        http = await client.get("/page")
    assert https.headers["strict-transport-security"] == "max-age=63072000"
    assert "strict-transport-security" not in http.headers


async def test_wrapping_the_app_also_covers_the_unexpected_error_page() -> None:
    async with client_for(SecurityHeaders(routes(), hsts=True)) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    for name, value in EXPECTED.items():
        assert response.headers[name] == value


async def test_streamed_chunks_pass_through_one_by_one() -> None:
    chunks = [b"first", b"second", b""]

    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
        for index, chunk in enumerate(chunks):
            more = index < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    await SecurityHeaders(streaming, hsts=False)({"type": "http"}, receive, send)
    assert [message["type"] for message in sent] == ["http.response.start"] + [
        "http.response.body"
    ] * len(chunks)
    assert [message["body"] for message in sent[1:]] == chunks
    assert sent[0]["headers"][0] == (b"x-a", b"1")
    assert dict(sent[0]["headers"])[b"referrer-policy"] == b"no-referrer"


async def test_non_http_scopes_pass_through_untouched() -> None:
    seen: list[Message] = []

    async def lifespan(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "lifespan.startup.complete"})

    async def send(message: Message) -> None:
        seen.append(message)

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    await SecurityHeaders(lifespan, hsts=True)({"type": "lifespan"}, receive, send)
    assert seen == [{"type": "lifespan.startup.complete"}]
