"""RP-Initiated Logout 1.0: checking a logout request and where to send the person afterwards.

A post_logout_redirect_uri is followed only when the client is identified (by client_id or by
the audience of the id_token_hint) and the URI matches its registration exactly (§2, §3);
otherwise the person stays on our "signed out" page.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.i18n import N_
from ciam_oidc.protocol.authorization.response import with_query
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidRequest
from ciam_oidc.protocol.ports import ClientStore
from ciam_oidc.protocol.subjects import Subjects
from ciam_oidc.protocol.tokens.id_token_hint import id_token_hint_claims


@dataclass(frozen=True)
class LogoutRequest:
    client: Client | None
    hinted_sub: str | None
    post_logout_redirect_uri: str | None
    state: str | None

    def names(self, account: str, subjects: Subjects) -> bool:
        """Whether the id_token_hint was issued for `account` (as its client sees it)."""
        if self.hinted_sub is None:
            return False
        if self.client is None:
            return hmac.compare_digest(self.hinted_sub.encode(), account.encode())
        return subjects.names(self.client, account, self.hinted_sub)

    @property
    def return_url(self) -> str | None:
        """The verified post-logout URI with `state` added (§3), if there is one."""
        if self.post_logout_redirect_uri is None:
            return None
        if self.state is None:
            return self.post_logout_redirect_uri
        return with_query(self.post_logout_redirect_uri, {"state": self.state})


async def check_logout_request(
    params: Mapping[str, str], clients: ClientStore, keyring: KeyRing, issuer: str
) -> LogoutRequest:
    hint = params.get("id_token_hint")
    claims = await id_token_hint_claims(hint, keyring, issuer) if hint else None
    client_id = params.get("client_id") or None
    if claims is not None:
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])  # type: ignore[call-overload]
        if client_id is not None and client_id not in audiences:
            raise InvalidRequest(N_("client_id is not the audience of the id_token_hint"))
        client_id = client_id or (audiences[0] if len(audiences) == 1 else None)
    client = await clients.get_client(client_id) if client_id else None
    if client_id and client is None:
        raise InvalidRequest(N_("the client is not known"))
    uri = params.get("post_logout_redirect_uri") or None
    if uri is not None and (client is None or uri not in client.post_logout_redirect_uris):
        raise InvalidRequest(N_("post_logout_redirect_uri is not registered for the client"))
    return LogoutRequest(
        client=client,
        hinted_sub=str(claims["sub"]) if claims else None,
        post_logout_redirect_uri=uri,
        state=params.get("state"),
    )


def end_session_metadata(issuer: str, path: str) -> dict[str, Any]:
    """RP-Initiated Logout §2.1, Front-Channel Logout §3 and Back-Channel Logout §2.1: the
    iframes and logout tokens carry `iss` and `sid` (authn/logout_channels.py)."""
    return {
        "end_session_endpoint": issuer + path,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
