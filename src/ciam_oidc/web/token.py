"""POST /token: the HTTP face of the token endpoint (RFC 6749 §3.2)."""

from __future__ import annotations

from fastapi import APIRouter

from ciam_oidc.protocol.token_endpoint import TokenEndpoint
from ciam_oidc.web.oauth_responses import client_form_router

TOKEN_PATH = "/token"


def token_router(endpoint: TokenEndpoint, issuer_path: str) -> APIRouter:
    return client_form_router(
        f"{issuer_path}{TOKEN_PATH}", "Token endpoint (RFC 6749 §3.2)", endpoint.respond
    )
