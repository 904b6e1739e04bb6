"""Provider metadata at both well-known locations.

OpenID Connect Discovery 1.0 §4 appends `/.well-known/openid-configuration` to the issuer;
RFC 8414 §3 inserts `/.well-known/oauth-authorization-server` before the issuer's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from starlette.responses import Response

from ciam_oidc.web.json import cacheable_json

_MAX_AGE = 300


def discovery_router(document: Mapping[str, Any]) -> APIRouter:
    issuer_path = urlsplit(document["issuer"]).path
    router = APIRouter(tags=["discovery"])

    async def provider_metadata() -> Response:
        return cacheable_json(document, _MAX_AGE)

    router.add_api_route(
        f"{issuer_path}/.well-known/openid-configuration",
        provider_metadata,
        methods=["GET"],
        summary="OpenID Provider metadata",
    )
    router.add_api_route(
        f"/.well-known/oauth-authorization-server{issuer_path}",
        provider_metadata,
        methods=["GET"],
        summary="OAuth 2.0 Authorization Server metadata",
    )
    return router
