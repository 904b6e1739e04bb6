"""Verifying the JWT access tokens this provider issued (RFC 9068 §4), for the endpoints that
accept them (userinfo) or answer questions about them (introspection, revocation).

Resource servers verify offline through the JWKS and cannot see revocation; here the database
is asked every time whether the token's `jti` or its grant was revoked, so a revoked token
stops working on every node at once. Only the published keys are cached (by the key ring,
bounded in staleness): a key is not a revocation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.protocol.errors import InvalidToken
from ciam_oidc.protocol.ports import GrantStore, RevokedTokenStore
from ciam_oidc.protocol.scopes import parse_scope
from ciam_oidc.protocol.subjects import PUBLIC_ONLY, Subjects
from ciam_oidc.protocol.tokens.access_token import ACCESS_TOKEN_TYP, SEALED_ACCOUNT_CLAIM

# RFC 7519 §4.1.4 allows "some small leeway" for clock skew between the nodes that issue and
# the nodes that verify; ours share a database, not a clock.
LEEWAY = timedelta(seconds=10)
# RFC 9068 §4: "at+jwt", or the full media type; media types compare case-insensitively.
_ACCESS_TOKEN_TYPES = {ACCESS_TOKEN_TYP, "application/" + ACCESS_TOKEN_TYP}
_MALFORMED = "the access token is malformed or not signed by this provider"


@dataclass(frozen=True)
class VerifiedAccessToken:
    """The claims of an access token whose signature and shape were checked."""

    issuer: str
    sub: str
    """As the client sees it: pairwise for a pairwise client (OpenID Connect Core §8)."""
    account: str
    """The local account the token is about (`sub` itself unless `sub` is pairwise)."""
    client_id: str
    audience: tuple[str, ...]
    scope: tuple[str, ...]
    issued_at: int
    expires_at: int
    jti: str
    grant_id: str | None
    claims: Mapping[str, Any]

    @property
    def accepted_until(self) -> datetime:
        """After this moment `verify` refuses the token on `exp` alone, revoked or not."""
        return datetime.fromtimestamp(self.expires_at, UTC) + LEEWAY


class AccessTokenVerifier:
    def __init__(
        self,
        keyring: KeyRing,
        issuer: str,
        grants: GrantStore,
        revoked: RevokedTokenStore,
        clock: Callable[[], datetime],
        subjects: Subjects = PUBLIC_ONLY,
    ) -> None:
        self._keyring = keyring
        self._subjects = subjects
        self._issuer = issuer
        self._grants = grants
        self._revoked = revoked
        self._clock = clock
        self._key_set: tuple[tuple[str, ...], KeySet, list[str]] | None = None

    async def verify(self, token: str) -> VerifiedAccessToken:
        """An access token that may be honoured now; `InvalidToken` otherwise."""
        verified = await self.verify_signature(token)
        if self._clock() >= verified.accepted_until:
            raise InvalidToken("the access token has expired")  # RFC 7519 §4.1.4
        if self._issuer not in verified.audience:
            # RFC 9068 §4: the token must be meant for us, not for another resource server.
            raise InvalidToken("the access token is not meant for this provider")
        if await self._revoked.is_revoked(verified.jti):
            raise InvalidToken("the access token was revoked")  # RFC 7009 §2
        if verified.grant_id is not None and not await self._grants.grant_is_active(
            verified.grant_id
        ):
            # Code replay, refresh token reuse, logout or revocation ended the grant.
            raise InvalidToken("the authorization behind the access token was revoked")
        return verified

    async def verify_signature(self, token: str) -> VerifiedAccessToken:
        """An access token this provider signed, alive or not: whose it is, and until when.

        Revocation needs this much only: an expired token of ours is still the client's own.
        """
        keys, algorithms = await self._published_keys()
        try:
            decoded = jwt.decode(token, keys, algorithms=algorithms)
        except (JoseError, ValueError):
            raise InvalidToken(_MALFORMED) from None
        if str(decoded.header.get("typ", "")).lower() not in _ACCESS_TOKEN_TYPES:
            # RFC 9068 §4: an ID token, signed by the same keys, is not an access token.
            raise InvalidToken("the token is not an access token")
        claims = decoded.claims
        if not isinstance(claims, dict) or claims.get("iss") != self._issuer:
            raise InvalidToken(_MALFORMED)  # RFC 9068 §4: iss must be exactly ours
        return _verified(claims, self._account(claims))

    def _account(self, claims: dict[str, Any]) -> str | None:
        """The local account: sealed when `sub` is pairwise, else `sub` (None: malformed)."""
        sealed, jti = claims.get(SEALED_ACCOUNT_CLAIM), claims.get("jti")
        if sealed is None:
            sub = claims.get("sub")
            return sub if isinstance(sub, str) else None
        if not isinstance(sealed, str) or not isinstance(jti, str):
            return None
        return self._subjects.open_account(sealed, jti)

    async def _published_keys(self) -> tuple[KeySet, list[str]]:
        """The key ring's published keys, imported again only when the set of kids changes
        (a kid is the key's thumbprint, so the same kids are the same keys)."""
        jwks = await self._keyring.jwks()
        kids = tuple(str(key.get("kid")) for key in jwks["keys"])
        if self._key_set is None or self._key_set[0] != kids:
            keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
            # Only the algorithms our own keys are for: never "none", never an HMAC.
            algorithms = sorted({str(key.alg) for key in keys if key.alg})
            self._key_set = (kids, keys, algorithms)
        return self._key_set[1], self._key_set[2]


def _verified(claims: dict[str, Any], account: str | None) -> VerifiedAccessToken:
    """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are required."""
    audience = claims.get("aud")
    audiences = (audience,) if isinstance(audience, str) else audience
    grant_id = claims.get("gid")
    scope = claims.get("scope", "")
    if not (
        all(isinstance(claims.get(name), str) for name in ("sub", "client_id", "jti"))
        and all(_is_time(claims.get(name)) for name in ("iat", "exp"))
        and isinstance(audiences, list | tuple)
        and all(isinstance(value, str) for value in audiences)
        and isinstance(scope, str)
        and (grant_id is None or isinstance(grant_id, str))
        and account is not None
    ):
        raise InvalidToken(_MALFORMED)
    return VerifiedAccessToken(
        issuer=claims["iss"],
        sub=claims["sub"],
        account=account,
        client_id=claims["client_id"],
        audience=tuple(audiences),
        scope=parse_scope(scope),
        issued_at=claims["iat"],
        expires_at=claims["exp"],
        jti=claims["jti"],
        grant_id=grant_id,
        claims=claims,
    )


def _is_time(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
