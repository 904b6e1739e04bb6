"""Issuing authorization codes (RFC 6749 §4.1.2): the end of a successful authorization.

Each code opens a grant, the family of every token later issued from it, so that a replayed
code or refresh token can revoke them all at once (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ciam_oidc.crypto.secrets import digest_secret, new_secret
from ciam_oidc.protocol.authorizations import Authorization
from ciam_oidc.protocol.ports import CodeStore, GrantStore


def new_grant_id() -> str:
    """A grant's id: random, so it reveals nothing (it travels in access tokens as `gid`)."""
    return new_secret(16)


async def issue_authorization_code(
    codes: CodeStore, grants: GrantStore, authorization: Authorization, now: datetime, ttl: int
) -> str:
    """Open the authorization's grant and store a new code for it; return the code.

    The code is a 256-bit random value stored only as its digest. RFC 6749 §4.1.2: it MUST
    expire shortly after it is issued (at most ten minutes is recommended); `ttl` in seconds.
    """
    await grants.create_grant(
        authorization.grant_id,
        authorization.client_id,
        authorization.authentication.sub,
        now,
        session_id=authorization.session_id,
    )
    code = new_secret()
    await codes.save_code(digest_secret(code), authorization, now + timedelta(seconds=ttl))
    return code
