"""Checking an authorization request, step by step, in the order the specs give.

The first two steps establish where errors may be sent: until the client and its redirect_uri
are verified, an error is shown to the person and never redirected (RFC 6749 §4.1.2.1,
RFC 9700 §4.1.3). Every later step's error goes back to the client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ciam_oidc.i18n import N_
from ciam_oidc.protocol.authorization.response import RESPONSE_MODES, ResponseTarget
from ciam_oidc.protocol.client_metadata import RESPONSE_TYPES as RESPONSE_TYPES
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import (
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from ciam_oidc.protocol.pkce import challenge_is_valid
from ciam_oidc.protocol.ports import ClientStore
from ciam_oidc.protocol.request_objects import RequestObjects, carries_request_object
from ciam_oidc.protocol.scopes import parse_scope

# "create": Initiating User Registration via OpenID Connect 1.0 §4.
PROMPTS = ("none", "login", "consent", "select_account", "create")
_LOOPBACK_IPS = {"127.0.0.1", "::1"}
_MAX_AGE_DIGITS = 10  # over 300 years
SCOPES_SUPPORTED = ("openid", "profile", "email", "address", "phone", "offline_access")
DISPLAYS = ("page", "popup", "touch", "wap")  # OpenID Connect Core §3.1.2.1


class UnverifiedRedirect(Exception):
    """The client or its redirect_uri could not be verified: show `error`, do not redirect."""

    def __init__(self, error: OAuthError) -> None:
        super().__init__(error.description)
        self.error = error


class RedirectableError(Exception):
    """A protocol error to send back to the verified redirect_uri."""

    def __init__(self, error: OAuthError, target: ResponseTarget) -> None:
        super().__init__(error.description)
        self.error = error
        self.target = target


@dataclass(frozen=True)
class AuthorizationRequest:
    client: Client
    target: ResponseTarget
    response_type: frozenset[str]
    """The values of response_type: `code`, `id_token` and `token` as asked for."""
    scope: tuple[str, ...]
    nonce: str | None
    prompt: frozenset[str]
    max_age: int | None
    code_challenge: str | None
    """None only when no code is issued (implicit flow)."""
    claims: dict[str, Any] | None
    login_hint: str | None
    id_token_hint: str | None
    acr_values: tuple[str, ...]
    ui_locales: tuple[str, ...]
    display: str | None
    params: Mapping[str, str]
    """The parameters as checked, a request object's merged in: what a login flow keeps, so
    that checking them again needs no second fetch of a request_uri."""


async def check_authorization_request(
    params: Mapping[str, str],
    clients: ClientStore,
    issuer: str,
    request_objects: RequestObjects,
    pkce_for_confidential: bool = True,
) -> AuthorizationRequest:
    """`pkce_for_confidential` False lets confidential clients omit PKCE (RFC 9700 §2.1.1 says
    SHOULD for them, MUST for public clients); a challenge they do send is still enforced."""
    client = await check_client(params, clients)
    params = await with_request_object(params, client, issuer, request_objects)
    target = check_redirect_uri(params, client, issuer)
    try:
        response_type = check_response_type(params, client)
        return AuthorizationRequest(
            client=client,
            target=target,
            response_type=response_type,
            scope=check_scope(params, client, response_type),
            nonce=check_nonce(params, response_type),
            prompt=check_prompt(params),
            max_age=check_max_age(params, client),
            code_challenge=(
                check_code_challenge(params, pkce_for_confidential or is_public(client))
                if "code" in response_type
                else None
            ),
            claims=check_claims(params),
            login_hint=params.get("login_hint") or None,
            id_token_hint=params.get("id_token_hint") or None,
            # Dynamic Client Registration §2: default_acr_values when the request has none.
            acr_values=parse_scope(params.get("acr_values")) or client.default_acr_values,
            ui_locales=parse_scope(params.get("ui_locales")),
            display=check_display(params),
            params=params,
        )
    except OAuthError as error:
        raise RedirectableError(error, target) from None


async def check_client(params: Mapping[str, str], clients: ClientStore) -> Client:
    client_id = params.get("client_id")
    if not client_id:
        raise UnverifiedRedirect(InvalidRequest(N_("client_id is missing")))
    client = await clients.get_client(client_id)
    if client is None:
        raise UnverifiedRedirect(InvalidRequest(N_("the client is not known")))
    return client


def check_redirect_uri(params: Mapping[str, str], client: Client, issuer: str) -> ResponseTarget:
    """Exact string comparison against the registration (RFC 9700 §4.1.3); OpenID Connect
    Core §3.1.2.1 makes the parameter required."""
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise UnverifiedRedirect(InvalidRequest(N_("redirect_uri is missing")))
    if not _is_registered(redirect_uri, client.redirect_uris):
        raise UnverifiedRedirect(
            InvalidRequest(N_("redirect_uri is not registered for the client"))
        )
    default = default_response_mode(params)
    mode = params.get("response_mode") or default
    target = ResponseTarget(redirect_uri, mode, params.get("state"), issuer)
    if mode not in RESPONSE_MODES:
        # The error itself goes back in the response type's default mode.
        target = ResponseTarget(redirect_uri, default, params.get("state"), issuer)
        raise RedirectableError(InvalidRequest(f"unsupported response_mode {mode!r}"), target)
    if mode == "query" and default != "query":
        # Multiple Response Types §5: these responses MUST NOT use the query encoding.
        target = ResponseTarget(redirect_uri, default, params.get("state"), issuer)
        raise RedirectableError(
            InvalidRequest("response_mode=query cannot be used with this response_type"), target
        )
    return target


def default_response_mode(params: Mapping[str, str]) -> str:
    """Query for the code flow, fragment for every response that may carry tokens
    (Multiple Response Types §5), so tokens never land in server logs or Referer headers."""
    return "query" if (params.get("response_type") or "code") == "code" else "fragment"


async def with_request_object(
    params: Mapping[str, str], client: Client, issuer: str, request_objects: RequestObjects
) -> Mapping[str, str]:
    """OpenID Connect Core §6: the parameters a request object carries, over the query's.

    The client is verified by now; an object that fails goes back to the query's redirect_uri
    once that is verified too, and is shown to the person otherwise.
    """
    if not carries_request_object(params):
        return params
    try:
        return await request_objects.merged(params, client)
    except OAuthError as error:
        raise RedirectableError(error, check_redirect_uri(params, client, issuer)) from None


def _is_registered(redirect_uri: str, registered: tuple[str, ...]) -> bool:
    """Exact match, except that a loopback IP redirect may use any port (RFC 8252 §7.3)."""
    if redirect_uri in registered:
        return True
    portless = _loopback_without_port(redirect_uri)
    return portless is not None and portless in map(_loopback_without_port, registered)


def _loopback_without_port(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK_IPS:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    try:
        parts.port  # noqa: B018 (a malformed port raises here)
    except ValueError:
        return None
    return urlunsplit(parts._replace(netloc=host))


def check_response_type(params: Mapping[str, str], client: Client) -> frozenset[str]:
    """Implicit and hybrid responses only for a client registered for them (RFC 9700 §2.1.2
    discourages the implicit grant: it is never on by default)."""
    raw = params.get("response_type")
    if not raw:
        raise InvalidRequest("response_type is missing")
    response_type = frozenset(raw.split(" "))
    if response_type not in map(_values, RESPONSE_TYPES):
        raise UnsupportedResponseType(f"response_type {raw!r} is not supported")
    if response_type not in map(_values, client.response_types):
        raise UnauthorizedClient(f"the client may not use response_type {raw!r}")
    return response_type


def _values(response_type: str) -> frozenset[str]:
    return frozenset(response_type.split(" "))


def check_nonce(params: Mapping[str, str], response_type: frozenset[str]) -> str | None:
    """Core §3.2.2.1, §3.3.2.11: required whenever tokens leave through the browser, where
    only the nonce binds an ID token to the session that asked for it."""
    nonce = params.get("nonce") or None
    if nonce is None and response_type != {"code"}:
        raise InvalidRequest("nonce is required for the implicit and hybrid flows")
    return nonce


def check_display(params: Mapping[str, str]) -> str | None:
    display = params.get("display") or None
    if display is not None and display not in DISPLAYS:
        raise InvalidRequest(f"unsupported display value {display!r}")
    return display


def check_scope(
    params: Mapping[str, str], client: Client, response_type: frozenset[str]
) -> tuple[str, ...]:
    scope = parse_scope(params.get("scope"))
    if not scope:
        raise InvalidScope("scope is missing")
    if "id_token" in response_type and "openid" not in scope:
        raise InvalidScope("an ID token is only issued for the openid scope")
    allowed = set(parse_scope(client.scope))
    refused = [value for value in scope if value not in allowed]
    if refused:
        raise InvalidScope(f"not allowed for this client: {' '.join(refused)}")
    return scope


def check_prompt(params: Mapping[str, str]) -> frozenset[str]:
    prompt = frozenset(parse_scope(params.get("prompt")))
    unknown = prompt - set(PROMPTS)
    if unknown:
        raise InvalidRequest(f"unsupported prompt value {sorted(unknown)[0]!r}")
    if "none" in prompt and len(prompt) > 1:
        # OpenID Connect Core §3.1.2.1: none with any other value is an error.
        raise InvalidRequest("prompt=none cannot be combined with other values")
    return prompt


def check_max_age(params: Mapping[str, str], client: Client) -> int | None:
    """The request's max_age, else the client's default_max_age (Dynamic Client
    Registration §2)."""
    value = params.get("max_age")
    if value is None or value == "":
        return client.default_max_age
    # ASCII digits only (str.isdigit accepts "²"), and few enough to make a sane duration.
    if not (value.isascii() and value.isdigit()) or len(value) > _MAX_AGE_DIGITS:
        raise InvalidRequest("max_age must be a non-negative integer of seconds")
    return int(value)


def is_public(client: Client) -> bool:
    return client.token_endpoint_auth_method == "none"


def check_code_challenge(params: Mapping[str, str], required: bool) -> str | None:
    """RFC 7636: S256 only; required for every client unless the deployment lets confidential
    ones omit it (RFC 9700 §2.1.1)."""
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if not challenge and not method and not required:
        return None
    if not challenge:
        raise InvalidRequest("code_challenge is required (PKCE with S256)")
    if method != "S256":
        raise InvalidRequest("code_challenge_method must be S256")
    if not challenge_is_valid(challenge):
        raise InvalidRequest("code_challenge is not a base64url SHA-256 value")
    return challenge


def check_claims(params: Mapping[str, str]) -> dict[str, Any] | None:
    """OpenID Connect Core §5.5: a JSON object with optional userinfo and id_token members."""
    raw = params.get("claims")
    if not raw:
        return None
    try:
        claims = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidRequest("claims is not valid JSON") from None
    if not isinstance(claims, dict) or not all(
        isinstance(claims.get(member, {}), dict) for member in ("userinfo", "id_token")
    ):
        raise InvalidRequest("claims must be an object of userinfo and id_token objects")
    return claims
