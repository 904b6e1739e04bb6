"""Responses the token-style endpoints share: form parsing and exact protocol errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.protocol.errors import InvalidClient, InvalidRequest, OAuthError
from ciam_oidc.web.json import JSONResponse

# RFC 6749 §5.1: token responses must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MAX_FORM_BYTES = 64 * 1024


async def single_valued_form(request: Request) -> dict[str, str]:
    """The urlencoded body; RFC 6749 §3.2 demands that media type, and parameters sent more
    than once are an error (§3.1)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise InvalidRequest("the request body is too large")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the body is not a valid form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequest(f"parameter {name!r} was sent more than once")
        form[name] = value
    return form


def oauth_json(body: dict[str, Any]) -> Response:
    return JSONResponse(body, headers=NO_STORE)


def oauth_error(error: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if isinstance(error, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="token", charset="UTF-8"'
    return JSONResponse(error.as_dict(), status_code=error.status_code, headers=headers)
