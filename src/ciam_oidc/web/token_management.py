"""POST /revoke (RFC 7009) and POST /introspect (RFC 7662): what a client may do with tokens
it already holds. Client authentication fails as at /token: 401 with a challenge."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.protocol.errors import OAuthError
from ciam_oidc.protocol.introspection import IntrospectionEndpoint
from ciam_oidc.protocol.revocation import RevocationEndpoint
from ciam_oidc.web.oauth_responses import NO_STORE, oauth_error, oauth_json, single_valued_form

REVOCATION_PATH = "/revoke"
INTROSPECTION_PATH = "/introspect"


def revocation_router(endpoint: RevocationEndpoint, issuer_path: str) -> APIRouter:
    router = APIRouter(tags=["oauth"])

    @router.post(f"{issuer_path}{REVOCATION_PATH}", summary="Token revocation (RFC 7009)")
    async def revoke(request: Request) -> Response:
        try:
            form = await single_valued_form(request)
            await endpoint.respond(request.headers.get("authorization"), form)
        except OAuthError as error:
            return oauth_error(error)
        # RFC 7009 §2.2: 200 whether or not there was anything to revoke; no body is needed.
        return Response(status_code=200, headers=NO_STORE)

    return router


def introspection_router(endpoint: IntrospectionEndpoint, issuer_path: str) -> APIRouter:
    router = APIRouter(tags=["oauth"])

    @router.post(f"{issuer_path}{INTROSPECTION_PATH}", summary="Token introspection (RFC 7662)")
    async def introspect(request: Request) -> Response:
        try:
            form = await single_valued_form(request)
            body = await endpoint.respond(request.headers.get("authorization"), form)
        except OAuthError as error:
            return oauth_error(error)
        return oauth_json(body)

    return router
