"""Token introspection (RFC 7662): is this token active, and what does it stand for?

Only confidential clients may ask (§2.1 requires authorizing the caller, and a client_id alone
proves nothing), and each only about its own tokens: §4 lets the server limit what a caller
learns, and a token of another client is answered as any unknown token is. Every inactive
answer is exactly `{"active": false}` (§2.2), so none tells why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ciam_oidc.crypto.secrets import digest_secret
from ciam_oidc.protocol.client_auth import ClientAuthenticator
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidClient, InvalidRequest, InvalidToken
from ciam_oidc.protocol.ports import GrantStore, RefreshTokenLookup
from ciam_oidc.protocol.revocation import REFRESH_TOKEN, search_order
from ciam_oidc.protocol.subjects import PUBLIC_ONLY, Subjects
from ciam_oidc.protocol.token_endpoint import AUTH_METHODS_SUPPORTED, AUTH_SIGNING_ALGS_SUPPORTED
from ciam_oidc.protocol.tokens.access_token_verifier import AccessTokenVerifier

INACTIVE: Mapping[str, Any] = {"active": False}
AUTH_METHODS = tuple(method for method in AUTH_METHODS_SUPPORTED if method != "none")


@dataclass(frozen=True)
class IntrospectionEndpoint:
    client_auth: ClientAuthenticator
    access_tokens: AccessTokenVerifier
    refresh_tokens: RefreshTokenLookup
    grants: GrantStore
    clock: Callable[[], datetime]
    subjects: Subjects = PUBLIC_ONLY
    """Refresh tokens hold the local account; the caller sees its own `sub` (Core §8)."""

    async def respond(self, authorization: str | None, form: Mapping[str, str]) -> dict[str, Any]:
        client = await self.client_auth.authenticate(authorization, form)
        if client.token_endpoint_auth_method not in AUTH_METHODS:
            raise InvalidClient("introspection is for clients that authenticate")
        token = form.get("token") or None  # RFC 6749 §3.2: empty means omitted
        if token is None:
            raise InvalidRequest("token is required")
        for token_type in search_order(form.get("token_type_hint")):
            described = await (
                self._refresh(token, client) if token_type == REFRESH_TOKEN else self._access(token)
            )
            if described is not None:
                return described if described["client_id"] == client.client_id else dict(INACTIVE)
        return dict(INACTIVE)

    async def _access(self, token: str) -> dict[str, Any] | None:
        try:
            verified = await self.access_tokens.verify(token)
        except InvalidToken:
            return None
        return {
            "active": True,
            "scope": " ".join(verified.scope),
            "client_id": verified.client_id,
            "sub": verified.sub,  # as issued: already what the token's client sees
            "exp": verified.expires_at,
            "iat": verified.issued_at,
            "iss": verified.issuer,
            "aud": verified.claims["aud"],  # as issued: a string or a list (RFC 7519 §4.1.3)
            "jti": verified.jti,
            "token_type": "Bearer",  # §2.2: as in the token response (RFC 6749 §7.1)
        }

    async def _refresh(self, token: str, client: Client) -> dict[str, Any] | None:
        record = await self.refresh_tokens.find_refresh_token(digest_secret(token), self.clock())
        if record is None or not await self.grants.grant_is_active(record.grant_id):
            return None
        return {
            "active": True,
            "scope": " ".join(record.scope),
            "client_id": record.client_id,
            # Only the token's own client learns the answer (see respond).
            "sub": self.subjects.subject_for(client, record.authentication.sub),
            "exp": int(record.expires_at.timestamp()),
            "iat": int(record.issued_at.timestamp()),
            "token_type": REFRESH_TOKEN,
        }


def metadata(issuer: str, path: str) -> dict[str, Any]:
    """RFC 8414 §2."""
    return {
        "introspection_endpoint": issuer + path,
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(
            AUTH_SIGNING_ALGS_SUPPORTED
        ),
    }
