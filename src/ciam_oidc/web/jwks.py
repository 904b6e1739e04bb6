"""The JWK Set relying parties and resource servers use to verify our signatures."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.web.json import cacheable_json

JWKS_PATH = "/jwks"


def jwks_router(keyring: KeyRing, issuer_path: str, max_age: int) -> APIRouter:
    router = APIRouter(tags=["discovery"])

    @router.get(f"{issuer_path}{JWKS_PATH}", summary="JSON Web Key Set")
    async def jwks() -> Response:
        return cacheable_json(await keyring.jwks(), max_age)

    return router
