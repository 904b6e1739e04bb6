"""The authorization code grant's token request (RFC 6749 §4.1.3, OpenID Connect Core §3.1.3).

The code is spent before it is checked: the store's consume is the one atomic step that lets
exactly one of two racing nodes win, and a code that fails a check (wrong client, wrong
verifier) may have leaked, so it should not stay redeemable either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ciam_oidc.crypto.secrets import digest_secret
from ciam_oidc.protocol.authorizations import Authorization
from ciam_oidc.protocol.claims import requested_claims, user_claims
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidGrant, InvalidRequest, UnauthorizedClient
from ciam_oidc.protocol.grants import TokenResponse
from ciam_oidc.protocol.grants.refresh_token import issue_refresh_token
from ciam_oidc.protocol.pkce import verify_code_verifier
from ciam_oidc.protocol.ports import CodeStore, GrantStore, RefreshTokenStore, UserStore
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer
from ciam_oidc.protocol.tokens.id_token import IdTokenIssuer
from ciam_oidc.protocol.users import User


@dataclass(frozen=True)
class AuthorizationCodeGrant:
    codes: CodeStore
    grants: GrantStore
    refresh_tokens: RefreshTokenStore
    users: UserStore
    access_tokens: AccessTokenIssuer
    id_tokens: IdTokenIssuer
    clock: Callable[[], datetime]
    refresh_ttl: int
    grant_type: str = "authorization_code"

    async def exchange(self, client: Client, form: Mapping[str, str]) -> TokenResponse:
        if self.grant_type not in client.grant_types:
            raise UnauthorizedClient("this client may not use the authorization_code grant")
        # RFC 6749 §3.2: a parameter sent without a value is treated as omitted. Missing
        # parameters are refused before the code is spent.
        code = form.get("code") or None
        redirect_uri = form.get("redirect_uri") or None
        if code is None:
            raise InvalidRequest("code is required")
        if redirect_uri is None:
            # RFC 6749 §4.1.3: required when the authorization request carried one, which
            # OpenID Connect Core §3.1.2.1 makes mandatory and so do we for every client.
            raise InvalidRequest("redirect_uri is required")
        now = self.clock()
        authorization = await self._redeem(code, client, now)
        if redirect_uri != authorization.redirect_uri:
            # RFC 6749 §4.1.3: identical to the authorization request's, compared exactly.
            raise InvalidGrant("redirect_uri differs from the authorization request's")
        verify_code_verifier(form.get("code_verifier") or None, authorization.code_challenge)
        if not await self.grants.grant_is_active(authorization.grant_id):
            raise InvalidGrant("the authorization was revoked")
        user = await self.users.get_user(authorization.authentication.sub)
        if user is None or user.disabled:
            raise InvalidGrant("the account that authorized this code is not active")
        return await self._issue(client, authorization, user, now)

    async def _redeem(self, code: str, client: Client, now: datetime) -> Authorization:
        consumed = await self.codes.consume_code(digest_secret(code), now)
        if consumed is None:
            raise InvalidGrant("the code is unknown or expired")
        authorization = consumed.authorization
        if not consumed.first_use:
            # RFC 6749 §4.1.2, §10.5: a code used twice is denied and the tokens issued from it
            # are revoked, whoever presents it: one of the two holders stole it.
            await self.grants.revoke_grant(authorization.grant_id, now)
            raise InvalidGrant("the code was already used; tokens issued from it are revoked")
        if authorization.client_id != client.client_id:
            raise InvalidGrant("the code was issued to another client")  # RFC 6749 §4.1.3
        return authorization

    async def _issue(
        self, client: Client, authorization: Authorization, user: User, now: datetime
    ) -> TokenResponse:
        authentication = authorization.authentication
        access = await self.access_tokens.issue(
            sub=authentication.sub,
            client_id=client.client_id,
            client=client,
            scope=authorization.scope,
            now=now,
            authentication=authentication,
            grant_id=authorization.grant_id,
            userinfo_claims=tuple(requested_claims(authorization.claims, "userinfo") or ()),
        )
        refresh_token = None
        # OpenID Connect Core §11: offline_access asks for a refresh token; only clients
        # registered for the refresh_token grant could ever use one.
        if "offline_access" in authorization.scope and "refresh_token" in client.grant_types:
            refresh_token = await issue_refresh_token(
                self.refresh_tokens,
                grant_id=authorization.grant_id,
                client_id=client.client_id,
                authentication=authentication,
                scope=authorization.scope,
                now=now,
                ttl=self.refresh_ttl,
            )
        id_token = None
        if "openid" in authorization.scope:
            id_token = await self.id_tokens.issue(
                client=client,
                authentication=authentication,
                now=now,
                nonce=authorization.nonce,
                access_token=access.token,
                session_id=authorization.session_id,
                # Core §5.4: with an access token issued, the scope's claims are served by
                # userinfo; the ID token carries only those requested for it by name (§5.5).
                extra_claims=user_claims(
                    user, (), requested_claims(authorization.claims, "id_token")
                ),
            )
        return TokenResponse(
            access.token, access.expires_in, authorization.scope, refresh_token, id_token
        )
