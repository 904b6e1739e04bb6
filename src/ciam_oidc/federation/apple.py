"""Sign in with Apple's two departures from plain OpenID Connect.

1. There is no fixed client secret: each token request carries a short-lived ES256 JWT signed
   with the team's private key (the .p8 file), `iss` the team id, `sub` the client (Services)
   id, `aud` Apple, `kid` the key's id.
2. Apple never returns a name in the ID token. On the first sign-in only, its form_post
   callback carries a `user` field, JSON like `{"name": {"firstName", "lastName"}, "email"}`.
   That field is not signed, so only the name is taken from it, never the email.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey

from ciam_oidc.authn.upstreams import Upstream

APPLE_ISSUER = "https://appleid.apple.com"
# Apple accepts up to six months; a request needs seconds. A short life limits what a leaked
# secret (it travels in every token request) is good for.
SECRET_LIFETIME = timedelta(minutes=5)


def load_team_key(pem: str) -> ECKey:
    """The team's P-256 private key. Raises ValueError with a reason an operator can act on."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SecurityWarning)
            key = ECKey.import_key(pem)
    except (JoseError, ValueError, TypeError, SecurityWarning):
        raise ValueError("the private key is not a PEM EC key (Apple's .p8 file)") from None
    if not key.is_private or key.get("crv") != "P-256":
        raise ValueError("the private key must be the P-256 private key Apple issued (.p8)")
    return key


def signed_client_secret(upstream: Upstream, now: datetime) -> str:
    """The client secret for one token request (Apple: "Creating a client secret")."""
    key = load_team_key(upstream.private_key or "")
    issued_at = int(now.timestamp())
    claims = {
        "iss": upstream.options["team_id"],
        "sub": upstream.client_id,
        "aud": APPLE_ISSUER,
        "iat": issued_at,
        "exp": issued_at + int(SECRET_LIFETIME.total_seconds()),
    }
    return jwt.encode({"alg": "ES256", "kid": upstream.options["key_id"]}, claims, key)


def name_from_user_field(response: Mapping[str, str]) -> dict[str, str]:
    """Profile claims from the first sign-in's `user` field; empty when absent or malformed
    (a name is a courtesy, never a reason to fail a sign-in)."""
    try:
        user: Any = json.loads(response.get("user") or "{}")
    except ValueError:
        return {}
    name = user.get("name") if isinstance(user, dict) else None
    if not isinstance(name, dict):
        return {}
    given, family = name.get("firstName"), name.get("lastName")
    claims = {
        claim: value.strip()
        for claim, value in (("given_name", given), ("family_name", family))
        if isinstance(value, str) and value.strip()
    }
    full = " ".join(claims[part] for part in ("given_name", "family_name") if part in claims)
    return {**claims, "name": full} if full else claims
