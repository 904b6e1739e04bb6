"""GET and POST /userinfo: the HTTP face of the UserInfo endpoint (OpenID Connect Core §5.3),
a protected resource answering with RFC 6750 bearer challenges."""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.protocol.errors import InsufficientScope, OAuthError
from ciam_oidc.protocol.userinfo import UserInfoEndpoint, presented_bearer_token
from ciam_oidc.web.json import JSONResponse
from ciam_oidc.web.oauth_responses import NO_STORE, is_form, oauth_json, single_valued_form

USERINFO_PATH = "/userinfo"
# RFC 6750 §3: error_description is limited to these characters, and sits in a quoted string.
_NOT_IN_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def userinfo_router(endpoint: UserInfoEndpoint, issuer_path: str) -> APIRouter:
    router = APIRouter(tags=["oidc"])
    path = f"{issuer_path}{USERINFO_PATH}"

    async def answer(authorization: str | None, form: dict[str, str]) -> Response:
        try:
            token = presented_bearer_token(authorization, form)
            if token is None:
                return bearer_challenge(None)
            info = await endpoint.respond(token)
        except OAuthError as error:
            return bearer_challenge(error)
        # Core §5.3.2: JSON, or a JWT when the client registered a signing alg; no-store as it
        # is personal data.
        if info.signed is not None:
            return Response(info.signed, media_type="application/jwt", headers=NO_STORE)
        return oauth_json(info.claims)

    @router.get(path, summary="UserInfo endpoint (OpenID Connect Core §5.3)")
    async def userinfo(request: Request) -> Response:
        return await answer(request.headers.get("authorization"), {})

    @router.post(path, summary="UserInfo endpoint (OpenID Connect Core §5.3)")
    async def userinfo_post(request: Request) -> Response:
        form: dict[str, str] = {}
        try:
            # RFC 6750 §2.2: the body is read for a token only when it is a form.
            if is_form(request):
                form = await single_valued_form(request)
        except OAuthError as error:
            return bearer_challenge(error)
        return await answer(request.headers.get("authorization"), form)

    return router


def bearer_challenge(error: OAuthError | None) -> Response:
    """RFC 6750 §3: 401 with a bare `Bearer` challenge when no token was sent (§3.1: no error
    code then), else the error's status with its code and description in the challenge."""
    headers = dict(NO_STORE)
    if error is None:
        headers["WWW-Authenticate"] = "Bearer"
        return Response(status_code=401, headers=headers)
    description = _NOT_IN_DESCRIPTION.sub("?", error.description)
    challenge = f'Bearer error="{error.error}", error_description="{description}"'
    if isinstance(error, InsufficientScope):
        challenge += ', scope="openid"'  # §3: the scope the resource needs
    headers["WWW-Authenticate"] = challenge
    return JSONResponse(error.as_dict(), status_code=error.status_code, headers=headers)
