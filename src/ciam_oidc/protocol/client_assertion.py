"""Client authentication with a signed JWT (OpenID Connect Core §9; RFC 7521 §4.2, RFC 7523).

`client_secret_jwt` MACs the assertion with the client's secret; `private_key_jwt` signs it with
a key whose public half the client registered. Each method has its own algorithms, and the
method is read from the assertion's `alg` before anything else, so a key of one kind is never
used as a key of the other: an HS256 assertion "signed" with a client's public key belongs to
`client_secret_jwt`, which that client is not registered for. `none` belongs to neither.

Every failure raises `InvalidClient` with the same description (RFC 7521 §4.2.1), so a caller
learns nothing about which check failed.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key, OctKey

from ciam_oidc.crypto.encryption import DecryptionError, SecretBox
from ciam_oidc.protocol.client_jwks import KEY_FOR_ALG, verification_keys
from ciam_oidc.protocol.client_keys import ClientKeys, ClientKeysUnavailable
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidClient
from ciam_oidc.protocol.ports import AssertionReplayStore

log = logging.getLogger(__name__)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523 §2.2
AUTHENTICATION_FAILED = "client authentication failed"
ALGS_BY_METHOD: dict[str, tuple[str, ...]] = {
    "private_key_jwt": tuple(KEY_FOR_ALG),
    # RFC 7518 §3.2: HMAC with SHA-2; `client_secret_jwt` clients get 512-bit secrets.
    "client_secret_jwt": ("HS256", "HS384", "HS512"),
}
ASSERTION_SIGNING_ALGS = tuple(alg for algs in ALGS_BY_METHOD.values() for alg in algs)
# Clocks differ a little between the client and us (RFC 7519 §4.1.4 allows for it).
LEEWAY = timedelta(seconds=30)
# RFC 7523 §3 item 4 lets us refuse an `exp` unreasonably far ahead. An assertion is made for
# one request, so minutes suffice (MSAL's ten minutes are the longest in common use); a short
# bound limits what a captured, unused assertion is good for, and how long its `jti` must be
# remembered.
MAX_LIFETIME = timedelta(minutes=10)
MAX_JTI_CHARS = 255


@dataclass(frozen=True)
class UnverifiedAssertion:
    """An assertion as sent, parsed to find its client and method, trusted for nothing else."""

    compact: str
    alg: str
    kid: str | None
    subject: str
    method: str


def read_client_assertion(compact: str) -> UnverifiedAssertion:
    """RFC 7523 §3 item 2: `sub` names the client; the `alg` tells which method it used."""
    try:
        token = jws.extract_compact(compact.encode())
        header, claims = token.headers(), json.loads(token.payload)
    except (JoseError, ValueError, TypeError, RecursionError):  # deep nesting: RecursionError
        raise InvalidClient(AUTHENTICATION_FAILED) from None
    alg, kid = header.get("alg"), header.get("kid")
    subject = claims.get("sub") if isinstance(claims, dict) else None
    method = next((method for method, algs in ALGS_BY_METHOD.items() if alg in algs), None)
    if method is None or not isinstance(alg, str) or not isinstance(kid, str | None):
        raise InvalidClient(AUTHENTICATION_FAILED)  # `none` and every other alg end here
    if not isinstance(subject, str) or not subject:
        raise InvalidClient(AUTHENTICATION_FAILED)
    return UnverifiedAssertion(compact, alg, kid, subject, method)


@dataclass(frozen=True)
class ClientAssertionVerifier:
    """Checks an assertion for the client it names and spends its `jti`."""

    audiences: frozenset[str]
    """Our issuer identifier and the URLs of the endpoints that accept assertions."""
    replays: AssertionReplayStore
    client_secrets: SecretBox
    """Opens `client_secret_jwt` secrets, sealed with the client_id as associated data."""
    clock: Callable[[], datetime]
    client_keys: ClientKeys
    """The public keys of private_key_jwt clients, registered by value or by jwks_uri."""

    async def verify_client_assertion(self, client: Client, assertion: UnverifiedAssertion) -> None:
        if assertion.alg not in ALGS_BY_METHOD.get(client.token_endpoint_auth_method, ()):
            raise InvalidClient(AUTHENTICATION_FAILED)
        claims = _verified_claims(assertion, await self._keys(client, assertion))
        now = self.clock()
        _check_issued_by(claims, client.client_id)
        _check_audience(claims, self.audiences)
        expires_at = _checked_expiry(claims, now)
        jti = _checked_jti(claims)
        # RFC 7523 §3 item 7: single use. Last, so only a valid assertion writes a row; the
        # insert fails on a second use, on whichever node it happens.
        if not await self.replays.spend_assertion_jti(client.client_id, jti, expires_at):
            raise InvalidClient(AUTHENTICATION_FAILED)

    async def _keys(self, client: Client, assertion: UnverifiedAssertion) -> list[Key]:
        if client.token_endpoint_auth_method == "private_key_jwt":
            return await self._public_keys(client, assertion)
        if client.sealed_secret is None:
            return []
        try:
            secret = self.client_secrets.open(client.sealed_secret, client.client_id)
        except DecryptionError:
            return []
        # RFC 7518 §3.2: the key must be at least as long as the hash output.
        if len(secret) * 8 < int(assertion.alg[2:]):
            return []
        return [OctKey.import_key(secret)]

    async def _public_keys(self, client: Client, assertion: UnverifiedAssertion) -> list[Key]:
        """The client's keys for the assertion; a `kid` missing from a cached jwks_uri set
        fetches the set again, once: the client may have rotated its keys (Core §10.1.1)."""
        try:
            keys = verification_keys(
                await self.client_keys.jwks(client), assertion.alg, assertion.kid
            )
            if not keys and assertion.kid is not None and client.jwks_uri is not None:
                fresh = await self.client_keys.jwks(client, refresh=True)
                keys = verification_keys(fresh, assertion.alg, assertion.kid)
        except ClientKeysUnavailable as error:
            # The operator (and the client's owner) must learn why; the caller must not.
            log.warning("client %s: no keys to check its assertion: %s", client.client_id, error)
            return []
        return keys


def _verified_claims(assertion: UnverifiedAssertion, keys: Sequence[Key]) -> dict[str, Any]:
    """The claims, once one of `keys` verifies the signature under the assertion's own alg."""
    for key in keys:
        try:
            token = jws.deserialize_compact(assertion.compact, key, algorithms=[assertion.alg])
            claims = json.loads(token.payload or b"")
        except (JoseError, ValueError, TypeError, RecursionError):
            continue
        if isinstance(claims, dict):
            return claims
    raise InvalidClient(AUTHENTICATION_FAILED)


def _check_issued_by(claims: dict[str, Any], client_id: str) -> None:
    """RFC 7523 §3 items 1-2, OpenID Connect Core §9: `iss` and `sub` are the client_id."""
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise InvalidClient(AUTHENTICATION_FAILED)


def _check_audience(claims: dict[str, Any], audiences: frozenset[str]) -> None:
    """RFC 7523 §3 item 3: we must be among the intended audience (a string or a list)."""
    aud = claims.get("aud")
    named = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(isinstance(value, str) and value in audiences for value in named):
        raise InvalidClient(AUTHENTICATION_FAILED)


def _checked_expiry(claims: dict[str, Any], now: datetime) -> datetime:
    """RFC 7523 §3 items 4-6: `exp` is required and in the future, though not far; `nbf` and
    `iat`, when present, are not in the future. Returns until when the jti must be kept."""
    exp, nbf, iat = (_numeric_date(claims, name) for name in ("exp", "nbf", "iat"))
    if exp is None or exp + LEEWAY <= now or exp > now + MAX_LIFETIME + LEEWAY:
        raise InvalidClient(AUTHENTICATION_FAILED)
    if any(moment is not None and moment > now + LEEWAY for moment in (nbf, iat)):
        raise InvalidClient(AUTHENTICATION_FAILED)
    return exp + LEEWAY


def _numeric_date(claims: dict[str, Any], name: str) -> datetime | None:
    """RFC 7519 §2 NumericDate; a claim of another type fails the assertion."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidClient(AUTHENTICATION_FAILED)
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidClient(AUTHENTICATION_FAILED) from None


def _checked_jti(claims: dict[str, Any]) -> str:
    """RFC 7523 §3 item 7 and OpenID Connect Core §9: a `jti` is required."""
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
        raise InvalidClient(AUTHENTICATION_FAILED)
    return jti
