"""One module per grant type; each turns an authenticated client and a request into tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ciam_oidc.protocol.clients import Client


@dataclass(frozen=True)
class TokenResponse:
    """RFC 6749 §5.1 successful response members."""

    access_token: str
    expires_in: int
    scope: tuple[str, ...]
    refresh_token: str | None = None
    id_token: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": " ".join(self.scope),
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        if self.id_token:
            body["id_token"] = self.id_token
        return body


class Grant(Protocol):
    @property
    def grant_type(self) -> str: ...

    async def exchange(self, client: Client, form: Mapping[str, str]) -> TokenResponse: ...
