"""Third-party initiated login (OpenID Connect Core §4): a party other than the client (a
portal, this server's own pages, a conformance suite) sends the browser to the client's
`initiate_login_uri`, and the client then starts an ordinary authorization request here.

Only a client that registered an `initiate_login_uri` can be started this way, and only
towards a `target_link_uri` on one of its own origins: anything else would make this server
an open redirector through a client the person trusts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ciam_oidc.protocol.authorization.response import with_query
from ciam_oidc.protocol.clients import Client


def initiate_login_url(
    client: Client, issuer: str, target_link_uri: str | None, login_hint: str | None
) -> str | None:
    """Where to send the browser; None when the client cannot be started this way."""
    if client.initiate_login_uri is None:
        return None
    parameters = {"iss": issuer}
    if target_link_uri and _origin(target_link_uri) in _client_origins(client):
        parameters["target_link_uri"] = target_link_uri
    if login_hint:
        parameters["login_hint"] = login_hint
    return with_query(client.initiate_login_uri, parameters)


def _client_origins(client: Client) -> set[tuple[str, str]]:
    uris = (*client.redirect_uris, client.initiate_login_uri or "")
    return {origin for uri in uris if (origin := _origin(uri)) is not None}


def _origin(uri: str) -> tuple[str, str] | None:
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return None
    return parts.scheme, parts.netloc.lower()
