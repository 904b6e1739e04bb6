"""POST /revoke (RFC 7009) and POST /introspect (RFC 7662): what a client may do with tokens
it already holds. Client authentication fails as at /token: 401 with a challenge."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ciam_oidc.protocol.introspection import IntrospectionEndpoint
from ciam_oidc.protocol.revocation import RevocationEndpoint
from ciam_oidc.web.oauth_responses import client_form_router

REVOCATION_PATH = "/revoke"
INTROSPECTION_PATH = "/introspect"


def revocation_router(endpoint: RevocationEndpoint, issuer_path: str) -> APIRouter:
    async def revoke(authorization: str | None, form: dict[str, str]) -> dict[str, Any] | None:
        # RFC 7009 §2.2: 200 whether or not there was anything to revoke; no body is needed.
        await endpoint.respond(authorization, form)
        return None

    return client_form_router(
        f"{issuer_path}{REVOCATION_PATH}", "Token revocation (RFC 7009)", revoke
    )


def introspection_router(endpoint: IntrospectionEndpoint, issuer_path: str) -> APIRouter:
    return client_form_router(
        f"{issuer_path}{INTROSPECTION_PATH}", "Token introspection (RFC 7662)", endpoint.respond
    )
