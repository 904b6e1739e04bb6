"""Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client Registration 1.0) and
its management protocol (RFC 7592).

A registration is the CLI's `clients create` arriving as JSON: the same `register_client`
rules apply, then what only the network can tell (the documents at `jwks_uri` and
`sector_identifier_uri`). Initial and registration access tokens are kept as SHA-256 digests
only; the registration access token is shown once, in the registration response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote

from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.crypto.secrets import digest_secret, new_secret, secret_matches
from ciam_oidc.protocol.authorization.request import SCOPES_SUPPORTED
from ciam_oidc.protocol.client_jwks import check_client_jwks
from ciam_oidc.protocol.client_metadata_json import client_metadata, client_request_from_json
from ciam_oidc.protocol.clients import Client, register_client
from ciam_oidc.protocol.errors import InvalidClientMetadata, InvalidRedirectUri, InvalidToken
from ciam_oidc.protocol.ports import DocumentFetcher, FetchFailed

Mode = Literal["off", "token", "open"]
# RFC 7591 §2 `scope`: when a client names none, it may ask for any scope this server has.
DEFAULT_SCOPE = " ".join(SCOPES_SUPPORTED)
# What an RFC 7592 update keeps from the stored client: the sign-in policy and branding an
# operator may have set for it are not client metadata, so a PUT never carries them.
_OPERATOR_FIELDS = (
    "first_party",
    "first_factors",
    "second_factors",
    "require_mfa",
    "allow_registration",
    "brand_color",
    "upstreams",
)
_SERVER_ASSIGNED = (
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
)


class InitialAccessTokenStore(Protocol):
    async def initial_token_is_valid(self, digest: str, now: datetime) -> bool:
        """Whether an unexpired initial access token has this digest."""


class RegisteredClientStore(Protocol):
    async def add_client(self, client: Client) -> None: ...

    async def get_client(self, client_id: str) -> Client | None: ...

    async def update_client(self, client: Client) -> bool:
        """Replace the stored client of the same client_id; False when there is none."""

    async def retire_client(self, client_id: str, now: datetime) -> bool:
        """Delete the client and revoke every grant it holds, in one transaction."""


@dataclass(frozen=True)
class ClientRegistration:
    """The registration endpoint and the client configuration endpoints behind it."""

    mode: Mode
    endpoint_url: str
    """The registration endpoint's URL; each client's configuration URL is below it."""
    clients: RegisteredClientStore
    initial_tokens: InitialAccessTokenStore
    documents: DocumentFetcher
    client_secrets: SecretBox
    signing_algs: Sequence[str]
    clock: Callable[[], datetime]
    forget: Callable[[str], None] = lambda client_id: None
    """Drops a changed client from this node's cache (CachedClientStore.forget)."""

    async def admit(self, authorization: str | None) -> None:
        """RFC 7591 §3: in "token" mode, only the holder of an initial access token registers."""
        if self.mode == "open":
            return
        token = bearer_token(authorization)
        if self.mode == "off" or not await self.initial_tokens.initial_token_is_valid(
            digest_secret(token), self.clock()
        ):
            raise InvalidToken("the initial access token is not valid")

    async def register(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """RFC 7591 §3.1: the client information response, with its secrets shown once."""
        await self.admit(authorization)
        request = client_request_from_json(body, DEFAULT_SCOPE)
        client, secret = register_client(
            request, self.clock(), None, self.client_secrets, self.signing_algs
        )
        await check_client_documents(client, self.documents)
        access_token = new_secret()
        client = replace(client, registration_token_digest=digest_secret(access_token))
        await self.clients.add_client(client)
        response = self._information(client, access_token)
        if secret:  # RFC 7591 §3.2.1: 0 means the secret does not expire
            response |= {"client_secret": secret, "client_secret_expires_at": 0}
        return response

    async def read(self, client_id: str, authorization: str | None) -> dict[str, Any]:
        """RFC 7592 §2.1."""
        token = bearer_token(authorization)
        client = await self._managed(client_id, token)
        return self._information(client, token)

    async def update(self, client_id: str, authorization: str | None, body: Any) -> dict[str, Any]:
        """RFC 7592 §2.2: the request replaces every metadata value; omitted ones take their
        defaults. The client_id, secret and registration access token stay the same."""
        token = bearer_token(authorization)
        client = await self._managed(client_id, token)
        if not isinstance(body, dict) or body.get("client_id") != client_id:
            raise InvalidClientMetadata("client_id must be this client's")
        # RFC 7592 §2.2: values the server assigns are invalid in an update request.
        assigned = [name for name in _SERVER_ASSIGNED if name in body]
        if assigned:
            raise InvalidClientMetadata(f"{assigned[0]} cannot be sent in an update")
        sent_secret = body.get("client_secret")
        if sent_secret is not None and not (
            isinstance(sent_secret, str)
            and client.secret_digest is not None
            and secret_matches(sent_secret, client.secret_digest)
        ):
            raise InvalidClientMetadata("client_secret must be this client's")
        request = replace(client_request_from_json(body, DEFAULT_SCOPE), client_id=client_id)
        if request.token_endpoint_auth_method != client.token_endpoint_auth_method:
            raise InvalidClientMetadata("token_endpoint_auth_method cannot change")
        updated, _ = register_client(
            request, client.created_at, None, self.client_secrets, self.signing_algs
        )
        await check_client_documents(updated, self.documents)
        updated = replace(
            updated,
            secret_digest=client.secret_digest,
            sealed_secret=client.sealed_secret,
            registration_token_digest=client.registration_token_digest,
            **{name: getattr(client, name) for name in _OPERATOR_FIELDS},
        )
        if not await self.clients.update_client(updated):
            raise InvalidToken("the registration access token is not valid")
        self.forget(client_id)
        return self._information(updated, token)

    async def delete(self, client_id: str, authorization: str | None) -> None:
        """RFC 7592 §2.3: the client and every grant it holds end."""
        await self._managed(client_id, bearer_token(authorization))
        await self.clients.retire_client(client_id, self.clock())
        self.forget(client_id)

    async def _managed(self, client_id: str, token: str) -> Client:
        """RFC 7592 §2.1: an unknown client, one the operator created, and a wrong token all
        answer 401 alike, so the answer tells nothing about which client_ids exist."""
        client = await self.clients.get_client(client_id)
        digest = client.registration_token_digest if client else None
        # Compared even without a client, so timing does not tell the cases apart either.
        matches = secret_matches(token, digest or digest_secret(""))
        if client is None or digest is None or not matches:
            raise InvalidToken("the registration access token is not valid")
        return client

    def _information(self, client: Client, access_token: str) -> dict[str, Any]:
        """RFC 7591 §3.2.1 and RFC 7592 §3: metadata, id and how to manage the client."""
        return client_metadata(client) | {
            "registration_access_token": access_token,
            "registration_client_uri": f"{self.endpoint_url}/{quote(client.client_id)}",
        }


def bearer_token(authorization: str | None) -> str:
    """RFC 6750 §2.1: `Authorization: Bearer <token>`."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("a Bearer token is required")
    return token.strip()


async def check_client_documents(client: Client, documents: DocumentFetcher) -> None:
    """What registration can only check by fetching: the keys at `jwks_uri` (RFC 7591 §2) and
    the redirect URIs the `sector_identifier_uri` vouches for (OpenID Connect Core §8.1)."""
    if client.jwks_uri is not None:
        check_client_jwks(await _json_document(documents, client.jwks_uri, "jwks_uri"))
    if client.sector_identifier_uri is not None:
        listed = await _json_document(
            documents, client.sector_identifier_uri, "sector_identifier_uri"
        )
        if not isinstance(listed, list) or not all(isinstance(uri, str) for uri in listed):
            raise InvalidClientMetadata("sector_identifier_uri must hold a JSON array of URLs")
        missing = [uri for uri in client.redirect_uris if uri not in listed]
        if missing:
            raise InvalidRedirectUri(
                f"redirect_uri {missing[0]!r} is not listed at the sector_identifier_uri"
            )


async def _json_document(documents: DocumentFetcher, url: str, name: str) -> Any:
    try:
        return json.loads(await documents.fetch(url))
    except FetchFailed as failure:
        raise InvalidClientMetadata(f"{name}: {failure}") from None
    except ValueError:
        raise InvalidClientMetadata(f"{name} did not answer JSON") from None


def metadata(issuer: str, path: str) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3 `registration_endpoint`, when registration is on."""
    return {"registration_endpoint": f"{issuer}{path}"}
