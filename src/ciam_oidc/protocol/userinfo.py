"""The UserInfo endpoint (OpenID Connect Core §5.3): the signed-in person's claims, for the
bearer of an access token (RFC 6750) issued with the `openid` scope.

Plain JSON, or a JWT signed with the algorithm the client registered as
`userinfo_signed_response_alg` (Core §5.3.2), which a client may want when the answer travels
further than its own TLS connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.protocol.claims import user_claims
from ciam_oidc.protocol.errors import InsufficientScope, InvalidRequest, InvalidToken
from ciam_oidc.protocol.ports import ClientStore, UserStore
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
class UserInfo:
    claims: dict[str, Any]
    signed: str | None
    """The claims as a signed JWT, for a client that registered userinfo_signed_response_alg."""


@dataclass(frozen=True)
class UserInfoEndpoint:
    verifier: AccessTokenVerifier
    users: UserStore
    clients: ClientStore
    keyring: KeyRing
    issuer: str

    async def respond(self, access_token: str) -> UserInfo:
        token = await self.verifier.verify(access_token)
        if "openid" not in token.scope:
            # Core §5.3.1 / RFC 6750 §3.1: an OAuth-only token may not read the profile.
            raise InsufficientScope("the access token was not issued with the openid scope")
        user = await self.users.get_user(token.account)
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
        # Core §5.3.2: `sub` as in the ID token, which is pairwise for a pairwise client.
        claims = {"sub": token.sub, **user_claims(user, token.scope, requested)}
        client = await self.clients.get_client(token.client_id)
        if client is None:
            raise InvalidToken("the client the access token was issued to is gone")
        if client.userinfo_signed_response_alg is None:
            return UserInfo(claims, None)
        # Core §5.3.2: a signed response SHOULD carry iss and aud.
        signed = claims | {"iss": self.issuer, "aud": client.client_id}
        return UserInfo(
            claims, await self.keyring.sign(signed, client.userinfo_signed_response_alg)
        )


def metadata(issuer: str, path: str, signing_algs: Iterable[str]) -> dict[str, Any]:
    return {
        "userinfo_endpoint": issuer + path,
        "userinfo_signing_alg_values_supported": list(signing_algs),
    }
