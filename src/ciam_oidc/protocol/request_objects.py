"""Request objects: authorization request parameters in a JWT, passed by value (`request`) or
by reference (`request_uri`) (OpenID Connect Core §6, RFC 9101).

An object is trusted as far as its signature goes: it must be signed by a key the client
registered (`jwks`, or the set its `jwks_uri` serves), with the algorithm the client
registered when it registered one. An unsigned object (`alg` none) proves nothing about who
wrote it, so it is accepted only from a client that registered `none` as its algorithm, and
then only says what the query string could have said anyway.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key

from ciam_oidc.protocol.client_jwks import KEY_FOR_ALG, verification_keys
from ciam_oidc.protocol.client_keys import ClientKeys, ClientKeysUnavailable
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidRequest, OAuthError
from ciam_oidc.protocol.ports import DocumentFetcher, FetchFailed

UNSIGNED = "none"
SIGNING_ALGS = tuple(KEY_FOR_ALG)
REQUEST_OBJECT_ALGS = (*SIGNING_ALGS, UNSIGNED)
# Clocks differ a little between the client and us (RFC 7519 §4.1.4 allows for it).
LEEWAY = timedelta(seconds=30)
# RFC 9101 §5.2: request and request_uri cannot carry another request object.
_NOT_IN_OBJECT = ("request", "request_uri")


class InvalidRequestObject(OAuthError):
    """OpenID Connect Core §6.3: the request object could not be read or verified."""

    error = "invalid_request_object"


class InvalidRequestUri(OAuthError):
    """OpenID Connect Core §6.3: the request_uri is not registered or did not answer."""

    error = "invalid_request_uri"


def carries_request_object(params: Mapping[str, str]) -> bool:
    return "request" in params or "request_uri" in params


@dataclass(frozen=True)
class RequestObjects:
    documents: DocumentFetcher
    """Fetches request_uri documents."""
    keys: ClientKeys
    issuer: str
    clock: Callable[[], datetime]

    async def merged(self, params: Mapping[str, str], client: Client) -> dict[str, str]:
        """The request's parameters with its request object's over them (Core §6.3.3), and
        neither `request` nor `request_uri` left among them."""
        if "request" in params and "request_uri" in params:
            raise InvalidRequest("request and request_uri cannot both be given")
        if "request_uri" in params:
            compact = await self._fetch(params["request_uri"], client)
        else:
            compact = params.get("request", "")
        claims = await self._verified_claims(compact.strip(), client)
        for name in ("client_id", "response_type"):
            # Core §6.1: the query's values must be the object's when both are present.
            if name in claims and name in params and claims[name] != params[name]:
                raise InvalidRequestObject(f"{name} differs from the request object's")
        merged = {k: v for k, v in params.items() if k not in _NOT_IN_OBJECT}
        for name, value in claims.items():
            if name not in _REGISTERED_CLAIMS:
                merged[name] = _as_parameter(name, value)
        return merged

    async def _fetch(self, request_uri: str, client: Client) -> str:
        """Core §6.2: only a URI the client registered (RFC 9101 §5.2.1 leaves the fragment,
        which only tells versions apart, out of the comparison)."""
        registered = {urldefrag(uri).url for uri in client.request_uris}
        if urldefrag(request_uri).url not in registered:
            raise InvalidRequestUri("request_uri is not registered for the client")
        try:
            body = await self.documents.fetch(urldefrag(request_uri).url)
        except FetchFailed:
            raise InvalidRequestUri("request_uri could not be fetched") from None
        try:
            return body.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidRequestUri("request_uri did not answer with a JWT") from None

    async def _verified_claims(self, compact: str, client: Client) -> dict[str, Any]:
        header, claims = _read(compact)
        alg = header.get("alg")
        expected = client.request_object_signing_alg
        if expected is not None and alg != expected:
            # Dynamic Client Registration §2: objects not signed with it MUST be rejected.
            raise InvalidRequestObject(f"the request object must be signed with {expected}")
        if alg == UNSIGNED:
            if expected != UNSIGNED:
                raise InvalidRequestObject("the request object must be signed")
            if not compact.endswith("."):
                raise InvalidRequestObject("an unsigned request object has no signature")
        elif alg in SIGNING_ALGS:
            keys = await self._keys(client, alg, _text_or_none(header.get("kid")))
            _check_signature(compact, alg, keys)
        else:
            raise InvalidRequestObject("the request object's algorithm is not supported")
        self._check_claims(claims, client, signed=alg != UNSIGNED)
        return claims

    async def _keys(self, client: Client, alg: str, kid: str | None) -> list[Key]:
        """The client's keys for `alg`; a `kid` its cached jwks_uri set lacks fetches the set
        again (Core §10.1.1: a client publishes a new key before signing with it)."""
        try:
            keys = verification_keys(await self.keys.jwks(client), alg, kid)
            if not keys and client.jwks is None:
                keys = verification_keys(await self.keys.jwks(client, refresh=True), alg, kid)
        except ClientKeysUnavailable:
            raise InvalidRequestObject("the client's keys could not be read") from None
        return keys

    def _check_claims(self, claims: dict[str, Any], client: Client, signed: bool) -> None:
        """RFC 9101 §6.3 and §10.2: a signed object names its issuer (the client) and its
        audience (us), so one made for another server cannot be replayed here."""
        iss, aud = claims.get("iss"), claims.get("aud")
        if (signed or iss is not None) and iss != client.client_id:
            raise InvalidRequestObject("the request object's iss must be the client_id")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if (signed or aud is not None) and self.issuer not in audiences:
            raise InvalidRequestObject("the request object's aud must name this issuer")
        now = self.clock()
        exp, nbf = _numeric_date(claims, "exp"), _numeric_date(claims, "nbf")
        if exp is not None and exp + LEEWAY <= now:
            raise InvalidRequestObject("the request object has expired")
        if nbf is not None and nbf > now + LEEWAY:
            raise InvalidRequestObject("the request object is not valid yet")


# JWT claims about the object itself, not authorization request parameters (RFC 7519 §4.1).
_REGISTERED_CLAIMS = frozenset({"iss", "aud", "exp", "nbf", "iat", "jti", "sub"})


def _read(compact: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if compact.count(".") != 2:
        # Five parts would be an encrypted object (Core §6.1), which is not supported.
        raise InvalidRequestObject("the request object is not a signed JWT")
    try:
        token = jws.extract_compact(compact.encode("ascii"))
        header, claims = token.headers(), json.loads(token.payload)
    except (JoseError, ValueError, TypeError, RecursionError, UnicodeEncodeError):
        raise InvalidRequestObject("the request object is not a JWT") from None
    if not isinstance(claims, dict):
        raise InvalidRequestObject("the request object's claims are not a JSON object")
    if any(name in claims for name in _NOT_IN_OBJECT):
        raise InvalidRequestObject("a request object cannot carry request or request_uri")
    return dict(header), claims


def _check_signature(compact: str, alg: str, keys: list[Key]) -> None:
    for key in keys:
        try:
            jws.deserialize_compact(compact, key, algorithms=[alg])
        except (JoseError, ValueError, TypeError):
            continue
        return
    raise InvalidRequestObject("the request object's signature does not verify")


def _as_parameter(name: str, value: Any) -> str:
    """A claim as the query parameter it stands for: strings as they are, numbers (max_age)
    in decimal, objects (claims) as JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    raise InvalidRequestObject(f"the request object's {name} has an unusable value")


def _text_or_none(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidRequestObject("the request object's kid must be a string")
    return value


def _numeric_date(claims: dict[str, Any], name: str) -> datetime | None:
    """RFC 7519 §2 NumericDate; a claim of another type fails the object."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequestObject(f"the request object's {name} is not a NumericDate")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidRequestObject(f"the request object's {name} is out of range") from None
