"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3,
OpenID Connect Core §9).

Every failure looks the same to the caller (`invalid_client`), whether the client is unknown,
its secret is wrong or its assertion fails a check, so the endpoint reveals nothing about
which client ids exist.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from ciam_oidc.crypto.secrets import digest_secret, secret_matches
from ciam_oidc.protocol.client_assertion import (
    AUTHENTICATION_FAILED,
    JWT_BEARER,
    ClientAssertionVerifier,
    UnverifiedAssertion,
    read_client_assertion,
)
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
    assertion: UnverifiedAssertion | None = None


def presented_credentials(
    authorization: str | None, form: Mapping[str, str]
) -> PresentedCredentials:
    """Which method the client used; more than one is an error (RFC 6749 §2.3)."""
    in_body = form.get("client_secret")
    if "client_assertion" in form or "client_assertion_type" in form:
        if authorization is not None or in_body is not None:
            raise InvalidRequest("use one client authentication method, not two")
        return _presented_assertion(form)
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


def _presented_assertion(form: Mapping[str, str]) -> PresentedCredentials:
    """RFC 7521 §4.2: both parameters; RFC 7523 §3: the client is the assertion's `sub`, and
    a client_id sent along must name the same client."""
    assertion_type, assertion = form.get("client_assertion_type"), form.get("client_assertion")
    if not assertion_type or not assertion:
        raise InvalidRequest("client_assertion and client_assertion_type go together")
    if assertion_type != JWT_BEARER:
        # RFC 6749 §5.2: an unsupported authentication method is invalid_client.
        raise InvalidClient("unsupported client_assertion_type")
    unverified = read_client_assertion(assertion)
    if form.get("client_id", unverified.subject) != unverified.subject:
        raise InvalidClient(AUTHENTICATION_FAILED)
    return PresentedCredentials(unverified.subject, None, unverified.method, unverified)


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


@dataclass(frozen=True)
class ClientAuthenticator:
    """Who is calling: the one client the request authenticates as, by its registered method."""

    clients: ClientStore
    assertions: ClientAssertionVerifier

    async def authenticate(self, authorization: str | None, form: Mapping[str, str]) -> Client:
        presented = presented_credentials(authorization, form)
        if presented.assertion is None:
            return await authenticate_client(presented, self.clients)
        client = await self.clients.get_client(presented.client_id)
        if client is None or presented.method != client.token_endpoint_auth_method:
            raise InvalidClient(AUTHENTICATION_FAILED)
        await self.assertions.verify_client_assertion(client, presented.assertion)
        return client


async def authenticate_client(presented: PresentedCredentials, clients: ClientStore) -> Client:
    """client_secret_basic, client_secret_post and none."""
    client = await clients.get_client(presented.client_id)
    stored = client.secret_digest if client and client.secret_digest else _NO_CLIENT_DIGEST
    secret_ok = presented.secret is not None and secret_matches(presented.secret, stored)
    if client is None:
        raise InvalidClient(AUTHENTICATION_FAILED)
    if presented.method != client.token_endpoint_auth_method:
        raise InvalidClient(AUTHENTICATION_FAILED)
    if presented.method != "none" and not secret_ok:
        raise InvalidClient(AUTHENTICATION_FAILED)
    return client
