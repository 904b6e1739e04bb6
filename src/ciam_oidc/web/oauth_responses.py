"""Responses the token-style endpoints share: form parsing and exact protocol errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.protocol.errors import InvalidClient, InvalidRequest, OAuthError
from ciam_oidc.web.json import JSONResponse

# RFC 6749 §5.1: token responses must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MAX_FORM_BYTES = 64 * 1024


def is_form(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/x-www-form-urlencoded"


async def single_valued_form(request: Request) -> dict[str, str]:
    """The urlencoded body; RFC 6749 §3.2 demands that media type, and parameters sent more
    than once are an error (§3.1)."""
    if not is_form(request):
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > _MAX_FORM_BYTES:  # refuse before reading it
        raise InvalidRequest("the request body is too large")
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise InvalidRequest("the request body is too large")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the body is not a valid form") from None
    return single_valued(pairs)


def single_valued(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """RFC 6749 §3.1: request parameters MUST NOT be included more than once."""
    parameters: dict[str, str] = {}
    for name, value in pairs:
        if name in parameters:
            raise InvalidRequest(f"parameter {name!r} was sent more than once")
        parameters[name] = value
    return parameters


def oauth_json(body: dict[str, Any]) -> Response:
    return JSONResponse(body, headers=NO_STORE)


def oauth_error(error: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if isinstance(error, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="token", charset="UTF-8"'
    return JSONResponse(error.as_dict(), status_code=error.status_code, headers=headers)


ClientRequestHandler = Callable[[str | None, dict[str, str]], Awaitable[dict[str, Any] | None]]
"""(Authorization header, form) -> JSON body, or None for an empty 200 (RFC 7009 §2.2)."""


def client_form_router(path: str, summary: str, handle: ClientRequestHandler) -> APIRouter:
    """A POST endpoint that authenticates a client and answers JSON or an exact OAuth error."""
    router = APIRouter(tags=["oauth"])

    async def endpoint(request: Request) -> Response:
        try:
            form = await single_valued_form(request)
            body = await handle(request.headers.get("authorization"), form)
        except OAuthError as error:
            return oauth_error(error)
        return oauth_json(body) if body is not None else Response(headers=NO_STORE)

    router.add_api_route(path, endpoint, methods=["POST"], summary=summary)
    return router
