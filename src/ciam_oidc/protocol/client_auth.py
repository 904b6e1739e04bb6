"""Client authentication at the token endpoint (RFC 6749 §2.3).

Every failure looks the same to the caller (`invalid_client`), whether the client is unknown
or its secret is wrong, so the endpoint reveals nothing about which client ids exist.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from ciam_oidc.crypto.secrets import digest_secret, secret_matches
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidClient, InvalidRequest
from ciam_oidc.protocol.ports import ClientStore

# Compared against when the client is unknown, so both paths cost one digest comparison.
_NO_CLIENT_DIGEST = digest_secret("no such client")


@dataclass(frozen=True)
class PresentedCredentials:
    client_id: str
    secret: str | None
    method: str


def presented_credentials(
    authorization: str | None, form: Mapping[str, str]
) -> PresentedCredentials:
    """Which method the client used; more than one is an error (RFC 6749 §2.3)."""
    in_body = form.get("client_secret")
    if authorization is not None:
        if in_body is not None:
            raise InvalidRequest("use one client authentication method, not two")
        client_id, secret = _basic_credentials(authorization)
        if form.get("client_id", client_id) != client_id:
            raise InvalidRequest("client_id differs from the authenticated client")
        return PresentedCredentials(client_id, secret, "client_secret_basic")
    body_client_id = form.get("client_id")
    if not body_client_id:
        raise InvalidClient("client authentication is required")
    if in_body is not None:
        return PresentedCredentials(body_client_id, in_body, "client_secret_post")
    return PresentedCredentials(body_client_id, None, "none")


def _basic_credentials(authorization: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding (RFC 7617)."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("unsupported authorization scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("malformed Basic credentials") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


async def authenticate_client(presented: PresentedCredentials, clients: ClientStore) -> Client:
    client = await clients.get_client(presented.client_id)
    stored = client.secret_digest if client and client.secret_digest else _NO_CLIENT_DIGEST
    secret_ok = presented.secret is not None and secret_matches(presented.secret, stored)
    if client is None:
        raise InvalidClient("client authentication failed")
    if presented.method != client.token_endpoint_auth_method:
        raise InvalidClient("client authentication failed")
    if presented.method != "none" and not secret_ok:
        raise InvalidClient("client authentication failed")
    return client
