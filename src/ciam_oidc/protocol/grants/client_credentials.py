"""The client credentials grant (RFC 6749 §4.4): a machine client acting on its own behalf."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import UnauthorizedClient
from ciam_oidc.protocol.grants import TokenResponse
from ciam_oidc.protocol.scopes import granted_scope, parse_scope
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer

# Scopes about an end-user mean nothing without one.
_USER_SCOPES = {"openid", "offline_access", "profile", "email", "address", "phone"}


@dataclass(frozen=True)
class ClientCredentialsGrant:
    access_tokens: AccessTokenIssuer
    clock: Callable[[], datetime]
    grant_type: str = "client_credentials"

    async def exchange(self, client: Client, form: Mapping[str, str]) -> TokenResponse:
        if self.grant_type not in client.grant_types:
            raise UnauthorizedClient("this client may not use the client_credentials grant")
        default = tuple(s for s in parse_scope(client.scope) if s not in _USER_SCOPES)
        scope = granted_scope(form.get("scope"), " ".join(default), default)
        # RFC 9068 §2.2: with no resource owner, the subject is the client itself.
        issued = await self.access_tokens.issue(
            sub=client.client_id, client_id=client.client_id, scope=scope, now=self.clock()
        )
        # RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
        return TokenResponse(issued.token, issued.expires_in, scope)
