"""What a relying party is told when a person's session with us ends: the logout token of
OpenID Connect Back-Channel Logout 1.0 and the iframe URL of Front-Channel Logout 1.0."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.crypto.secrets import new_secret
from ciam_oidc.protocol.authorization.response import with_query
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.subjects import PUBLIC_ONLY, Subjects

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# BCL §2.4: explicit typing, so a logout token can never pass for an ID token (or the reverse).
LOGOUT_TOKEN_TYPE = "logout+jwt"
# BCL §2.4 recommends a short lifetime: the RP acts on it at once or not at all.
LOGOUT_TOKEN_TTL = 120


@dataclass(frozen=True)
class LogoutTokenIssuer:
    keyring: KeyRing
    issuer: str
    ttl: int = LOGOUT_TOKEN_TTL
    subjects: Subjects = PUBLIC_ONLY

    async def issue(self, client: Client, sub: str, session_id: str | None, now: datetime) -> str:
        """BCL §2.4: signed like the client's ID tokens; `sub` always (as the client's ID tokens
        name the account `sub`, pairwise or not), `sid` whenever the session is known (which
        §2.2 makes mandatory for clients that require it), and never a `nonce`, so that no RP
        could mistake it for an ID token."""
        return await self._sign(client, self.subjects.subject_for(client, sub), session_id, now)

    async def renew(self, token: str, client: Client, now: datetime) -> str:
        """A fresh token for the same person and session as `token` (one of ours, read back
        from storage): a delivery retried after `exp` would otherwise only be refused."""
        claims = _payload(token)
        return await self._sign(client, str(claims["sub"]), claims.get("sid"), now)

    async def _sign(self, client: Client, sub: str, session_id: str | None, now: datetime) -> str:
        issued_at = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": client.client_id,
            "iat": issued_at,
            "exp": issued_at + self.ttl,
            "jti": new_secret(16),
            "sub": sub,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        if session_id is not None:
            claims["sid"] = session_id
        alg = client.id_token_signed_response_alg
        return await self.keyring.sign(claims, alg, LOGOUT_TOKEN_TYPE)


def expires_at(token: str) -> int:
    """The `exp` of one of our own logout tokens, read back from storage (not verified: it
    never left this server)."""
    return int(_payload(token)["exp"])


def _payload(token: str) -> dict[str, Any]:
    encoded = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    )
    return claims


def frontchannel_logout_url(client: Client, issuer: str, session_id: str | None) -> str | None:
    """FCL §2: the URL the logout page loads in an iframe for `client`, if it registered one;
    with `iss` and `sid` when the client asked for them (frontchannel_logout_session_required)."""
    uri = client.frontchannel_logout_uri
    if uri is None:
        return None
    if client.frontchannel_logout_session_required and session_id is not None:
        return with_query(uri, {"iss": issuer, "sid": session_id})
    return uri
