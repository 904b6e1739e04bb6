"""The token endpoint (RFC 6749 §3.2): authenticate the client, then let its grant answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ciam_oidc.protocol.client_assertion import ASSERTION_SIGNING_ALGS
from ciam_oidc.protocol.client_auth import ClientAuthenticator
from ciam_oidc.protocol.clients import AUTH_METHODS
from ciam_oidc.protocol.errors import InvalidRequest, UnsupportedGrantType
from ciam_oidc.protocol.grants import Grant

AUTH_METHODS_SUPPORTED = AUTH_METHODS
AUTH_SIGNING_ALGS_SUPPORTED = ASSERTION_SIGNING_ALGS


class TokenEndpoint:
    def __init__(self, client_auth: ClientAuthenticator, grants: Iterable[Grant]) -> None:
        self._client_auth = client_auth
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
        client = await self._client_auth.authenticate(authorization, form)
        return (await grant.exchange(client, form)).as_dict()

    def metadata(self, issuer: str, path: str) -> dict[str, Any]:
        return {
            "token_endpoint": issuer + path,
            "grant_types_supported": self.grant_types,
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS_SUPPORTED),
            # Discovery §3: the algorithms of client_secret_jwt and private_key_jwt assertions.
            "token_endpoint_auth_signing_alg_values_supported": list(AUTH_SIGNING_ALGS_SUPPORTED),
        }
