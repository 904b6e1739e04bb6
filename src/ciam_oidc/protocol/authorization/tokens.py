"""Tokens the authorization endpoint returns itself: the implicit flow's (OpenID Connect Core
§3.2.2.5) and the hybrid flow's besides its code (§3.3.2.5).

They travel through the browser, so: no refresh token ever (RFC 6749 §4.2.2), an ID token
bound to the code and access token beside it by c_hash and at_hash (§3.3.2.11), and the
nonce that ties it to the session that asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ciam_oidc.protocol.authorization.request import AuthorizationRequest
from ciam_oidc.protocol.authorizations import Authorization
from ciam_oidc.protocol.claims import requested_claims, user_claims
from ciam_oidc.protocol.errors import AccessDenied
from ciam_oidc.protocol.ports import UserStore
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer
from ciam_oidc.protocol.tokens.id_token import IdTokenIssuer


@dataclass(frozen=True)
class AuthorizationTokens:
    users: UserStore
    access_tokens: AccessTokenIssuer
    id_tokens: IdTokenIssuer

    async def issue(
        self,
        request: AuthorizationRequest,
        authorization: Authorization,
        code: str | None,
        now: datetime,
    ) -> dict[str, str]:
        """The response parameters for the `token` and `id_token` values of response_type."""
        parameters: dict[str, str] = {}
        access_token = None
        authentication = authorization.authentication
        if "token" in request.response_type:
            access = await self.access_tokens.issue(
                sub=authentication.sub,
                client_id=authorization.client_id,
                client=request.client,
                scope=authorization.scope,
                now=now,
                authentication=authentication,
                grant_id=authorization.grant_id,
                userinfo_claims=tuple(requested_claims(authorization.claims, "userinfo") or ()),
            )
            access_token = access.token
            parameters |= {
                "access_token": access.token,
                "token_type": "Bearer",
                "expires_in": str(access.expires_in),
            }
        if "id_token" in request.response_type:
            user = await self.users.get_user(authentication.sub)
            if user is None or user.disabled:
                raise AccessDenied("the account is not active")
            # Core §5.4: with no access token ever issued (response_type id_token) there is
            # no UserInfo call, so the scope's claims go into the ID token itself.
            scope = authorization.scope if request.response_type == {"id_token"} else ()
            parameters["id_token"] = await self.id_tokens.issue(
                client=request.client,
                authentication=authentication,
                now=now,
                nonce=authorization.nonce,
                access_token=access_token,
                session_id=authorization.session_id,
                extra_claims=user_claims(
                    user, scope, requested_claims(authorization.claims, "id_token")
                ),
                code=code,
            )
        return parameters
