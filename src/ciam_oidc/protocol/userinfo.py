"""The UserInfo endpoint (OpenID Connect Core §5.3): the signed-in person's claims, for the
bearer of an access token (RFC 6750) issued with the `openid` scope."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ciam_oidc.protocol.claims import user_claims
from ciam_oidc.protocol.errors import InsufficientScope, InvalidRequest, InvalidToken
from ciam_oidc.protocol.ports import UserStore
from ciam_oidc.protocol.tokens.access_token_verifier import AccessTokenVerifier


def presented_bearer_token(authorization: str | None, form: Mapping[str, str]) -> str | None:
    """The access token from the Authorization header (RFC 6750 §2.1) or the form body's
    `access_token` (§2.2); None when there is neither. Both at once is `invalid_request`
    (§2: a client MUST NOT use more than one method). Another scheme is no bearer token."""
    in_body = form.get("access_token")
    in_header = None
    if authorization is not None:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            in_header = credentials.strip()
            if not in_header:
                raise InvalidRequest("the Bearer authorization header carries no token")
    if in_header is not None and in_body is not None:
        raise InvalidRequest("send the access token in the header or in the body, not both")
    if in_body is not None and not in_body:
        raise InvalidRequest("access_token is empty")
    return in_header if in_header is not None else in_body


@dataclass(frozen=True)
class UserInfoEndpoint:
    verifier: AccessTokenVerifier
    users: UserStore

    async def respond(self, access_token: str) -> dict[str, Any]:
        token = await self.verifier.verify(access_token)
        if "openid" not in token.scope:
            # Core §5.3.1 / RFC 6750 §3.1: an OAuth-only token may not read the profile.
            raise InsufficientScope("the access token was not issued with the openid scope")
        user = await self.users.get_user(token.sub)
        if user is None or user.disabled:
            raise InvalidToken("the account the access token is about is not active")
        # Core §5.3.2: sub always; the scope's claims the person has (§5.4), and those the
        # `userinfo` member of a `claims` request named (§5.5), carried by the token as `uic`.
        named = token.claims.get("uic")
        requested = (
            {name: None for name in named if isinstance(name, str)}
            if isinstance(named, list)
            else None
        )
        return {"sub": user.sub, **user_claims(user, token.scope, requested)}


def metadata(issuer: str, path: str) -> dict[str, Any]:
    return {"userinfo_endpoint": issuer + path}
