"""POST /connect/register (RFC 7591 §3) and GET, PUT, DELETE /connect/register/{client_id}
(RFC 7592 §2): JSON in, JSON out, exact protocol errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.protocol.client_registration import ClientRegistration
from ciam_oidc.protocol.errors import InvalidClientMetadata, InvalidToken, OAuthError
from ciam_oidc.web.json import JSONResponse
from ciam_oidc.web.oauth_responses import NO_STORE, oauth_error

REGISTRATION_PATH = "/connect/register"
_MAX_BODY_BYTES = 64 * 1024


def client_registration_router(registration: ClientRegistration, issuer_path: str) -> APIRouter:
    router = APIRouter(tags=["oauth"])
    path = f"{issuer_path}{REGISTRATION_PATH}"

    async def register(request: Request) -> Response:
        return await _answer(
            lambda: _registered(registration, request),
            status_code=201,  # RFC 7591 §3.2.1
        )

    async def read(client_id: str, request: Request) -> Response:
        authorization = request.headers.get("authorization")
        return await _answer(lambda: registration.read(client_id, authorization))

    async def update(client_id: str, request: Request) -> Response:
        authorization = request.headers.get("authorization")

        async def updated() -> dict[str, Any]:
            return await registration.update(client_id, authorization, await _json_body(request))

        return await _answer(updated)

    async def delete(client_id: str, request: Request) -> Response:
        authorization = request.headers.get("authorization")

        async def deleted() -> None:
            await registration.delete(client_id, authorization)

        return await _answer(deleted, status_code=204)  # RFC 7592 §2.3

    router.add_api_route(path, register, methods=["POST"], summary="Client registration")
    managed = f"{path}/{{client_id}}"
    router.add_api_route(managed, read, methods=["GET"], summary="Read a client (RFC 7592)")
    router.add_api_route(managed, update, methods=["PUT"], summary="Update a client (RFC 7592)")
    router.add_api_route(managed, delete, methods=["DELETE"], summary="Delete a client (RFC 7592)")
    return router


async def _registered(registration: ClientRegistration, request: Request) -> dict[str, Any]:
    authorization = request.headers.get("authorization")
    await registration.admit(authorization)  # before reading a body from whoever may not
    return await registration.register(authorization, await _json_body(request))


async def _answer(
    handle: Callable[[], Awaitable[dict[str, Any] | None]], status_code: int = 200
) -> Response:
    try:
        body = await handle()
    except OAuthError as error:
        response = oauth_error(error)
        if isinstance(error, InvalidToken):  # RFC 6750 §3
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    if body is None:
        return Response(status_code=status_code, headers=NO_STORE)
    return JSONResponse(body, status_code=status_code, headers=NO_STORE)


async def _json_body(request: Request) -> Any:
    """RFC 7591 §3.1: the metadata as an application/json document."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise InvalidClientMetadata("the body must be application/json")
    body = await request.body()
    if len(body) > _MAX_BODY_BYTES:
        raise InvalidClientMetadata("the request body is too large")
    try:
        return json.loads(body)
    except ValueError:
        raise InvalidClientMetadata("the body is not valid JSON") from None
