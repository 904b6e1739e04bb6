"""POST /token: the HTTP face of the token endpoint."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.protocol.errors import OAuthError
from ciam_oidc.protocol.token_endpoint import TokenEndpoint
from ciam_oidc.web.oauth_responses import oauth_error, oauth_json, single_valued_form

TOKEN_PATH = "/token"


def token_router(endpoint: TokenEndpoint, issuer_path: str) -> APIRouter:
    router = APIRouter(tags=["oauth"])

    @router.post(f"{issuer_path}{TOKEN_PATH}", summary="Token endpoint (RFC 6749 §3.2)")
    async def token(request: Request) -> Response:
        try:
            form = await single_valued_form(request)
            body = await endpoint.respond(request.headers.get("authorization"), form)
        except OAuthError as error:
            return oauth_error(error)
        return oauth_json(body)

    return router
