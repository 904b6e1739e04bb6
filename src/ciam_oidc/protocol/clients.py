"""Registered clients and the rules a registration must satisfy.

The same rules serve the CLI today and dynamic registration (RFC 7591) later, so a client
cannot be created by one path that another would have refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.crypto.secrets import digest_secret, new_secret
from ciam_oidc.protocol.client_jwks import check_client_jwks
from ciam_oidc.protocol.client_metadata import (
    LOOPBACK,
    REQUEST_OBJECT_ALGS,
    check_alg,
    check_application_type,
    check_assertion_alg,
    check_default_max_age,
    check_frontchannel_logout_uri,
    check_https_uri,
    check_request_uris,
    check_response_types,
    check_strings,
    check_subject_type,
)
from ciam_oidc.protocol.errors import InvalidClientMetadata, InvalidRedirectUri

AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
)
# RFC 7518 §3.2: an HMAC key at least as long as the hash, so HS512 needs 512 bits.
_HMAC_SECRET_BYTES = 64
# RFC 9700 §2.1.2 discourages the implicit grant: a client gets it only by registering it.
GRANT_TYPES = ("authorization_code", "implicit", "refresh_token", "client_credentials")
ID_TOKEN_ALGS = ("RS256", "ES256", "Ed25519")
SIGN_IN_METHODS = ("password", "totp", "passkey", "magic_link")
_IDENTIFYING_METHODS = ("password", "passkey", "magic_link")
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
UPSTREAM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
"""An upstream identity provider's id: it appears in its callback URL and in client policies."""


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    scope: str
    token_endpoint_auth_method: str
    secret_digest: str | None
    created_at: datetime
    # OpenID Connect Dynamic Client Registration §2; RS256 is the default it names.
    id_token_signed_response_alg: str = "RS256"
    # A client run by the operator itself: its users are not asked for consent.
    first_party: bool = False
    # client_secret_jwt: the secret itself, since an HMAC key cannot be checked against a
    # digest; sealed under a key derived from the master secret, bound to the client_id.
    sealed_secret: bytes | None = field(default=None, repr=False)
    # private_key_jwt: the client's public keys, a JWK Set (RFC 7591 §2 `jwks`).
    jwks: dict[str, Any] | None = field(default=None, hash=False)
    # The client's sign-in policy; None leaves each choice to the server's default.
    first_factors: tuple[str, ...] | None = None
    second_factors: tuple[str, ...] | None = None
    require_mfa: bool | None = None
    # Whether its users may create an account from its sign-in page; None: the server's default.
    allow_registration: bool | None = None
    # Branding on the pages and mail its users see (RFC 7591 §2 `logo_uri`; a #rrggbb colour).
    logo_uri: str | None = None
    brand_color: str | None = None
    # Upstream identity providers its sign-in page offers, by id; None: every enabled one.
    upstreams: tuple[str, ...] | None = None
    # OpenID Connect Dynamic Client Registration 1.0 §2 and RFC 7591 §2 metadata.
    jwks_uri: str | None = None
    sector_identifier_uri: str | None = None
    subject_type: str = "public"
    userinfo_signed_response_alg: str | None = None
    request_object_signing_alg: str | None = None
    request_uris: tuple[str, ...] = ()
    token_endpoint_auth_signing_alg: str | None = None
    default_max_age: int | None = None
    require_auth_time: bool = False
    default_acr_values: tuple[str, ...] = ()
    initiate_login_uri: str | None = None
    contacts: tuple[str, ...] = ()
    client_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    # OpenID Connect Front-Channel Logout 1.0 §2 and Back-Channel Logout 1.0 §2.2.
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool = False
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False
    # RFC 7592 §3: SHA-256 of the registration access token that manages this client; None
    # for clients the operator created.
    registration_token_digest: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ClientRequest:
    """What an operator or a registration request asks for, before any rule is applied."""

    name: str
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("authorization_code",)
    scope: str = "openid"
    token_endpoint_auth_method: str = "client_secret_basic"
    client_id: str | None = field(default=None)
    id_token_signed_response_alg: str = "RS256"
    first_party: bool = False
    jwks: Mapping[str, Any] | None = None
    first_factors: tuple[str, ...] | None = None
    second_factors: tuple[str, ...] | None = None
    require_mfa: bool | None = None
    allow_registration: bool | None = None
    logo_uri: str | None = None
    brand_color: str | None = None
    upstreams: tuple[str, ...] | None = None
    response_types: tuple[str, ...] | None = None
    """None: what grant_types imply (RFC 7591 §2.1)."""
    jwks_uri: str | None = None
    sector_identifier_uri: str | None = None
    subject_type: str = "public"
    userinfo_signed_response_alg: str | None = None
    request_object_signing_alg: str | None = None
    request_uris: tuple[str, ...] = ()
    token_endpoint_auth_signing_alg: str | None = None
    default_max_age: int | None = None
    require_auth_time: bool = False
    default_acr_values: tuple[str, ...] = ()
    initiate_login_uri: str | None = None
    contacts: tuple[str, ...] = ()
    client_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool = False
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False
    application_type: str | None = None
    """Dynamic Client Registration §2: "web" or "native"; None, an operator's client, may use
    any redirect URI form but keeps the implicit grant's https rule. Checked, not stored."""


def register_client(
    request: ClientRequest,
    now: datetime,
    secret: str | None = None,
    secret_box: SecretBox | None = None,
    signing_algs: Sequence[str] = ID_TOKEN_ALGS,
) -> tuple[Client, str | None]:
    """Apply the registration rules; return the client and its secret (shown once) if any.

    `secret_box` seals the secret of a `client_secret_jwt` client; `app.py` builds it from
    the master secret (`Provider.client_secrets`). `signing_algs` are the algorithms the
    keyring signs with, which ID tokens and UserInfo responses may ask for.
    """
    name = request.name.strip()
    if not name or len(name) > 200:
        raise InvalidClientMetadata("client name must be 1 to 200 characters")
    method = _check_auth_method(request.token_endpoint_auth_method)
    jwks = _check_keys(request, method)
    grants = _check_grant_types(request.grant_types, public=method == "none")
    response_types = check_response_types(request.response_types, grants)
    redirect_uris = _check_uris(request.redirect_uris, "redirect_uri")
    if response_types and not redirect_uris:
        raise InvalidRedirectUri("these response_types need at least one redirect_uri")
    check_application_type(request.application_type, redirect_uris, "implicit" in grants)
    client_id = request.client_id or new_secret(16)
    secret = _new_secret_for(method, secret)
    algs = tuple(signing_algs)
    client = Client(
        client_id=client_id,
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=_check_uris(
            request.post_logout_redirect_uris, "post_logout_redirect_uri"
        ),
        grant_types=grants,
        response_types=response_types,
        scope=_check_scope(request.scope),
        token_endpoint_auth_method=method,
        secret_digest=digest_secret(secret) if secret else None,
        created_at=now,
        id_token_signed_response_alg=_check_id_token_alg(
            request.id_token_signed_response_alg, algs
        ),
        first_party=request.first_party,
        sealed_secret=_sealed_for(method, secret, client_id, secret_box),
        jwks=jwks,
        first_factors=_check_methods(request.first_factors, _IDENTIFYING_METHODS),
        second_factors=_check_methods(request.second_factors, SIGN_IN_METHODS),
        require_mfa=request.require_mfa,
        allow_registration=request.allow_registration,
        logo_uri=_check_logo_uri(request.logo_uri),
        brand_color=_check_brand_color(request.brand_color),
        upstreams=_check_upstreams(request.upstreams),
        jwks_uri=check_https_uri(request.jwks_uri, "jwks_uri", loopback_http=True),
        # Core §8.1: fetched over https; whether it lists every redirect_uri is checked
        # where it can be fetched (client_registration.check_client_documents).
        sector_identifier_uri=check_https_uri(
            request.sector_identifier_uri, "sector_identifier_uri", loopback_http=True
        ),
        subject_type=check_subject_type(
            request.subject_type, request.sector_identifier_uri, redirect_uris
        ),
        userinfo_signed_response_alg=check_alg(
            request.userinfo_signed_response_alg, "userinfo_signed_response_alg", algs
        ),
        request_object_signing_alg=check_alg(
            request.request_object_signing_alg, "request_object_signing_alg", REQUEST_OBJECT_ALGS
        ),
        request_uris=check_request_uris(request.request_uris),
        token_endpoint_auth_signing_alg=check_assertion_alg(
            request.token_endpoint_auth_signing_alg, method
        ),
        default_max_age=check_default_max_age(request.default_max_age),
        require_auth_time=request.require_auth_time,
        default_acr_values=check_strings(request.default_acr_values, "default_acr_values"),
        # Core §4: the login initiation endpoint MUST be https.
        initiate_login_uri=check_https_uri(request.initiate_login_uri, "initiate_login_uri"),
        contacts=check_strings(request.contacts, "contacts", longest=320),
        client_uri=check_https_uri(request.client_uri, "client_uri"),
        policy_uri=check_https_uri(request.policy_uri, "policy_uri"),
        tos_uri=check_https_uri(request.tos_uri, "tos_uri"),
        frontchannel_logout_uri=check_frontchannel_logout_uri(
            request.frontchannel_logout_uri, redirect_uris
        ),
        frontchannel_logout_session_required=request.frontchannel_logout_session_required,
        # Back-Channel Logout 1.0 §2.2: https, or http on loopback; no fragment.
        backchannel_logout_uri=check_https_uri(
            request.backchannel_logout_uri, "backchannel_logout_uri", loopback_http=True
        ),
        backchannel_logout_session_required=request.backchannel_logout_session_required,
    )
    return client, secret


def _check_logo_uri(uri: str | None) -> str | None:
    """Shown as an image on our pages: https only (http on loopback), never another scheme."""
    if uri is None:
        return None
    parts = urlsplit(uri)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)
    if not secure or not parts.hostname or any(char <= " " for char in uri):
        raise InvalidClientMetadata("logo_uri must be an https URL")
    return uri


def _check_upstreams(ids: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Ids only: whether each upstream exists is the caller's check, since upstreams may
    be configured after the clients that name them."""
    if ids is None:
        return None
    bad = [upstream for upstream in ids if not UPSTREAM_ID.fullmatch(upstream)]
    if bad:
        raise InvalidClientMetadata(f"not an upstream id: {', '.join(bad)}")
    return tuple(dict.fromkeys(ids))


def _check_brand_color(color: str | None) -> str | None:
    """Goes into a stylesheet value: exactly #rrggbb, so nothing else can be injected."""
    if color is None:
        return None
    if not _COLOR.fullmatch(color):
        raise InvalidClientMetadata("brand colour must be #rrggbb")
    return color.lower()


def _check_methods(
    methods: tuple[str, ...] | None, allowed: tuple[str, ...]
) -> tuple[str, ...] | None:
    if methods is None:
        return None
    if not methods or any(method not in allowed for method in methods):
        raise InvalidClientMetadata(f"sign-in methods must be among {', '.join(allowed)}")
    return tuple(dict.fromkeys(methods))


def _new_secret_for(method: str, secret: str | None) -> str | None:
    if method in ("none", "private_key_jwt"):  # nothing shared: no secret at all
        return None
    if secret:
        return secret
    return new_secret(_HMAC_SECRET_BYTES) if method == "client_secret_jwt" else new_secret()


def _sealed_for(
    method: str, secret: str | None, client_id: str, box: SecretBox | None
) -> bytes | None:
    if method != "client_secret_jwt" or secret is None:
        return None
    if box is None:
        raise ValueError("a client_secret_jwt secret needs the box that seals client secrets")
    return box.seal(secret.encode(), bound_to=client_id)


def _check_keys(request: ClientRequest, method: str) -> dict[str, Any] | None:
    """OpenID Connect Core §9: private_key_jwt verifies with keys the client registered, and
    so does a signed request object (Core §6.1); RFC 7591 §2: jwks or jwks_uri, never both."""
    jwks, jwks_uri = request.jwks, request.jwks_uri
    if jwks is not None and jwks_uri is not None:
        raise InvalidClientMetadata("register jwks or jwks_uri, not both")
    if method == "private_key_jwt" and jwks is None and jwks_uri is None:
        raise InvalidClientMetadata("private_key_jwt needs the client's public keys (jwks)")
    signs_requests = request.request_object_signing_alg not in (None, "none")
    if (jwks is not None or jwks_uri is not None) and not (
        method == "private_key_jwt" or signs_requests
    ):
        raise InvalidClientMetadata(
            "jwks is only used with private_key_jwt or signed request objects"
        )
    return None if jwks is None else check_client_jwks(jwks)


def _check_id_token_alg(alg: str, signing_algs: tuple[str, ...]) -> str:
    if alg not in ID_TOKEN_ALGS or alg not in signing_algs:
        allowed = [alg for alg in ID_TOKEN_ALGS if alg in signing_algs]
        raise InvalidClientMetadata(
            f"id_token_signed_response_alg must be one of {', '.join(allowed)}"
        )
    return alg


def _check_auth_method(method: str) -> str:
    if method not in AUTH_METHODS:
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}"
        )
    return method


def _check_grant_types(grants: tuple[str, ...], public: bool) -> tuple[str, ...]:
    unknown = [grant for grant in grants if grant not in GRANT_TYPES]
    if unknown or not grants:
        raise InvalidClientMetadata(f"grant_types must be among {', '.join(GRANT_TYPES)}")
    if public and "client_credentials" in grants:
        # RFC 6749 §4.4: the client credentials grant is for confidential clients only.
        raise InvalidClientMetadata("a public client cannot use client_credentials")
    if "refresh_token" in grants and "authorization_code" not in grants:
        raise InvalidClientMetadata("refresh_token needs the authorization_code grant")
    return tuple(dict.fromkeys(grants))


def _check_uris(uris: tuple[str, ...], kind: str) -> tuple[str, ...]:
    for uri in uris:
        problem = _redirect_uri_problem(uri)
        if problem:
            raise InvalidRedirectUri(f"{kind} {uri!r}: {problem}")
    return tuple(dict.fromkeys(uris))


def _redirect_uri_problem(uri: str) -> str | None:
    """RFC 6749 §3.1.2 and RFC 8252 §7: absolute, no fragment, TLS unless on loopback."""
    parts = urlsplit(uri)
    if not parts.scheme or "#" in uri:
        return "must be an absolute URI without a fragment"
    if parts.scheme == "https":
        return None if parts.hostname else "must name a host"
    if parts.scheme == "http":
        return None if parts.hostname in LOOPBACK else "http is only allowed for loopback"
    # RFC 8252 §7.1: private-use schemes are reverse domain names, e.g. com.example.app
    return None if "." in parts.scheme else "a private-use scheme must be a reverse domain name"


def _check_scope(scope: str) -> str:
    tokens = scope.split()
    if not tokens or not all(_SCOPE_TOKEN.fullmatch(token) for token in tokens):
        raise InvalidClientMetadata("scope must be space-separated scope tokens (RFC 6749 §3.3)")
    return " ".join(dict.fromkeys(tokens))
