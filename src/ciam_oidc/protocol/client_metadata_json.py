"""Client metadata as RFC 7591 §2 spells it in JSON, to and from `ClientRequest` and `Client`.

Only the shape is checked here (strings, lists of strings, booleans); what the values may be
is `register_client`'s business. Unknown members are ignored (RFC 7591 §2: "the
authorization server MUST ignore any client metadata sent by the client that it does not
understand"); encryption is refused, since a client asking for it must not get plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ciam_oidc.protocol.clients import Client, ClientRequest
from ciam_oidc.protocol.errors import InvalidClientMetadata, InvalidRedirectUri

# OpenID Connect Dynamic Client Registration §2: encryption this server does not do.
_ENCRYPTION = (
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
    "request_object_encryption_alg",
    "request_object_encryption_enc",
    "authorization_encrypted_response_alg",
)
_OPTIONAL_STRINGS = (
    "logo_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
    "jwks_uri",
    "sector_identifier_uri",
    "userinfo_signed_response_alg",
    "request_object_signing_alg",
    "token_endpoint_auth_signing_alg",
    "initiate_login_uri",
    "frontchannel_logout_uri",
    "backchannel_logout_uri",
)
_STRING_LISTS = ("request_uris", "default_acr_values", "contacts")
_FLAGS = (
    "require_auth_time",
    "frontchannel_logout_session_required",
    "backchannel_logout_session_required",
)
_URI_LISTS = ("redirect_uris", "post_logout_redirect_uris")


def client_request_from_json(body: Any, default_scope: str) -> ClientRequest:
    """A registration (or RFC 7592 update) request body as a ClientRequest; a member sent as
    null counts as left out."""
    if not isinstance(body, Mapping):
        raise InvalidClientMetadata("the request body must be a JSON object")
    values = {name: value for name, value in body.items() if value is not None}
    refused = [name for name in _ENCRYPTION if name in values]
    if refused:
        raise InvalidClientMetadata(f"{refused[0]}: encrypted responses are not supported")
    uris = {name: _strings(values, name, InvalidRedirectUri) for name in _URI_LISTS}
    response_types = _strings(values, "response_types") if "response_types" in values else None
    # Typed one by one above; Any only to spread the groups into the constructor.
    grouped: dict[str, Any] = {name: _string(values, name) for name in _OPTIONAL_STRINGS}
    grouped |= {name: _strings(values, name) for name in _STRING_LISTS}
    grouped |= {name: _flag(values, name) for name in _FLAGS}
    return ClientRequest(
        name=_string(values, "client_name") or _name_from(uris["redirect_uris"]),
        redirect_uris=uris["redirect_uris"],
        post_logout_redirect_uris=uris["post_logout_redirect_uris"],
        grant_types=_strings(values, "grant_types") or ("authorization_code",),
        response_types=response_types,
        scope=_string(values, "scope") or default_scope,
        token_endpoint_auth_method=_string(values, "token_endpoint_auth_method")
        or "client_secret_basic",
        # Dynamic Client Registration §2: RS256 unless the client asks otherwise.
        id_token_signed_response_alg=_string(values, "id_token_signed_response_alg") or "RS256",
        jwks=_object(values, "jwks"),
        subject_type=_string(values, "subject_type") or "public",
        default_max_age=_integer(values, "default_max_age"),
        application_type=_string(values, "application_type") or "web",
        **grouped,
    )


def client_metadata(client: Client) -> dict[str, Any]:
    """RFC 7591 §3.2.1: every registered value, defaults included; no secret."""
    shown: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()),
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "grant_types": list(client.grant_types),
        "response_types": list(client.response_types),
        "scope": client.scope,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "subject_type": client.subject_type,
        "require_auth_time": client.require_auth_time,
    }
    for name in (*_OPTIONAL_STRINGS, "jwks", "default_max_age"):
        if (value := getattr(client, name)) is not None:
            shown[name] = value
    for name in (*_STRING_LISTS, "post_logout_redirect_uris"):
        if values := getattr(client, name):
            shown[name] = list(values)
    for kind in ("frontchannel", "backchannel"):
        if getattr(client, f"{kind}_logout_uri") is not None:
            flag = f"{kind}_logout_session_required"
            shown[flag] = getattr(client, flag)
    return shown


def _name_from(redirect_uris: tuple[str, ...]) -> str:
    """A name for pages to show when the client gave none: the host it sends people back to."""
    host = urlsplit(redirect_uris[0]).hostname if redirect_uris else None
    return host or "unnamed client"


def _string(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidClientMetadata(f"{name} must be a string")
    return value


def _strings(
    values: Mapping[str, Any],
    name: str,
    error: type[InvalidClientMetadata | InvalidRedirectUri] = InvalidClientMetadata,
) -> tuple[str, ...]:
    value = values.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise error(f"{name} must be an array of strings")
    return tuple(value)


def _flag(values: Mapping[str, Any], name: str) -> bool:
    value = values.get(name, False)
    if not isinstance(value, bool):
        raise InvalidClientMetadata(f"{name} must be true or false")
    return value


def _integer(values: Mapping[str, Any], name: str) -> int | None:
    value = values.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidClientMetadata(f"{name} must be an integer")
    return value


def _object(values: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    value = values.get(name)
    if value is not None and not isinstance(value, dict):
        raise InvalidClientMetadata(f"{name} must be a JSON object")
    return value
