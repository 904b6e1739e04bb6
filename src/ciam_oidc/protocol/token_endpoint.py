"""The token endpoint (RFC 6749 §3.2): authenticate the client, then let its grant answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ciam_oidc.protocol.client_auth import authenticate_client, presented_credentials
from ciam_oidc.protocol.errors import InvalidRequest, UnsupportedGrantType
from ciam_oidc.protocol.grants import Grant
from ciam_oidc.protocol.ports import ClientStore

AUTH_METHODS_SUPPORTED = ("client_secret_basic", "client_secret_post", "none")


class TokenEndpoint:
    def __init__(self, clients: ClientStore, grants: Iterable[Grant]) -> None:
        self._clients = clients
        self._grants = {grant.grant_type: grant for grant in grants}

    @property
    def grant_types(self) -> list[str]:
        return list(self._grants)

    async def respond(self, authorization: str | None, form: Mapping[str, str]) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        if not grant_type:
            raise InvalidRequest("grant_type is required")
        grant = self._grants.get(grant_type)
        if grant is None:
            raise UnsupportedGrantType(f"grant_type {grant_type!r} is not supported")
        client = await authenticate_client(
            presented_credentials(authorization, form), self._clients
        )
        return (await grant.exchange(client, form)).as_dict()

    def metadata(self, issuer: str, path: str) -> dict[str, Any]:
        return {
            "token_endpoint": issuer + path,
            "grant_types_supported": self.grant_types,
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS_SUPPORTED),
        }
