"""Reading an `id_token_hint` (OpenID Connect Core §3.1.2.1, RP-Initiated Logout §2).

The hint must be an ID token this provider signed; it may have expired, since relying parties
send the last one they hold.

Its `sub` is what the hint's client was given: for a pairwise client (Core §8) that is not the
account id, and a hash cannot be turned back into one. So a hint is compared against the
candidate account instead, with `Subjects.names(client, account, claims["sub"])`, which holds
for public clients too.
"""

from __future__ import annotations

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.i18n import N_
from ciam_oidc.protocol.errors import InvalidRequest

# Also shown on the sign-out error page, hence marked for translation.
_NOT_OURS = N_("id_token_hint is not an ID token from this provider")


async def id_token_hint_claims(hint: str, keyring: KeyRing, issuer: str) -> dict[str, object]:
    keys = KeySet.import_key_set(await keyring.jwks())  # type: ignore[arg-type]
    try:
        algorithms = sorted({str(key.alg) for key in keys if key.alg})
        token = jwt.decode(hint, keys, algorithms=algorithms)
    except (JoseError, ValueError):
        raise InvalidRequest(_NOT_OURS) from None
    if str(token.header.get("typ", "JWT")).lower() in {"at+jwt", "application/at+jwt"}:
        # RFC 9068 §4: an access token must never pass for an ID token.
        raise InvalidRequest(_NOT_OURS)
    claims: dict[str, object] = token.claims
    if claims.get("iss") != issuer or not isinstance(claims.get("sub"), str):
        raise InvalidRequest(_NOT_OURS)
    return claims
