"""Rules for the OpenID Connect client metadata beyond OAuth's basics (OpenID Connect Dynamic
Client Registration 1.0 §2, RFC 7591 §2): response types, URLs the server will call or show,
signing algorithms and subject types. `clients.register_client` applies them, so the CLI and
the registration endpoint refuse the same things."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from ciam_oidc.protocol.client_jwks import KEY_FOR_ALG
from ciam_oidc.protocol.errors import InvalidClientMetadata, InvalidRedirectUri

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
# The order every response type is stored in, so "id_token code" and "code id_token" are one.
_RESPONSE_TYPE_ORDER = ("code", "id_token", "token")
# OpenID Connect Core §3 and OAuth 2.0 Multiple Response Types §3: the flows this server has.
RESPONSE_TYPES = (
    "code",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
)
SUBJECT_TYPES = ("public", "pairwise")
APPLICATION_TYPES = ("web", "native")
# RFC 9101 §10.2 and Core §6.1: asymmetric signatures, or `none` for a client that says so.
REQUEST_OBJECT_ALGS = (*KEY_FOR_ALG, "none")
ASSERTION_ALGS = {
    "private_key_jwt": tuple(KEY_FOR_ALG),
    "client_secret_jwt": ("HS256", "HS384", "HS512"),
}


def check_response_types(
    response_types: Sequence[str] | None, grants: Sequence[str]
) -> tuple[str, ...]:
    """RFC 7591 §2.1: `code` needs the authorization_code grant, `id_token` and `token` the
    implicit grant; a grant no response type uses is refused as well."""
    if response_types is None:  # what the grants imply
        if "implicit" in grants:
            raise InvalidClientMetadata("the implicit grant needs its response_types")
        return ("code",) if "authorization_code" in grants else ()
    normalized = tuple(dict.fromkeys(_normalized(value) for value in response_types))
    unknown = [value for value in normalized if value not in RESPONSE_TYPES]
    if unknown:
        raise InvalidClientMetadata(f"response_types must be among {', '.join(RESPONSE_TYPES)}")
    words = {word for value in normalized for word in value.split()}
    needed = {"authorization_code"} if "code" in words else set()
    needed |= {"implicit"} if words & {"id_token", "token"} else set()
    missing = sorted(needed - set(grants))
    if missing:
        raise InvalidClientMetadata(f"these response_types need the {missing[0]} grant")
    unused = sorted({"authorization_code", "implicit"} & set(grants) - needed)
    if unused:
        raise InvalidClientMetadata(f"the {unused[0]} grant needs a response_type that uses it")
    return normalized


def _normalized(response_type: str) -> str:
    words = response_type.split()
    if len(set(words)) != len(words) or not set(words) <= set(_RESPONSE_TYPE_ORDER):
        return response_type
    return " ".join(word for word in _RESPONSE_TYPE_ORDER if word in words)


def check_application_type(
    application_type: str | None, redirect_uris: Sequence[str], implicit: bool
) -> None:
    """OpenID Connect Dynamic Client Registration §2 `application_type`: a web client that
    receives tokens in the front channel uses https and never localhost; custom schemes are
    for native apps (RFC 8252 §7.1). None: an operator's client, with no such claim."""
    if application_type is not None and application_type not in APPLICATION_TYPES:
        raise InvalidClientMetadata("application_type must be web or native")
    if application_type == "native":
        return
    for uri in redirect_uris:
        parts = urlsplit(uri)
        if implicit and (parts.scheme != "https" or parts.hostname in LOOPBACK):
            raise InvalidRedirectUri(
                f"redirect_uri {uri!r}: a web client using the implicit grant needs https, "
                "not localhost"
            )
        if application_type == "web" and parts.scheme not in ("https", "http"):
            raise InvalidRedirectUri(
                f"redirect_uri {uri!r}: custom schemes are for native applications"
            )


def check_https_uri(
    uri: str | None, name: str, loopback_http: bool = False, fragment: bool = False
) -> str | None:
    """A URL this server calls, redirects to or shows: https (plain http on loopback where
    the spec allows it), a host, no fragment unless allowed, nothing that could break out of
    an attribute."""
    if uri is None:
        return None
    parts = urlsplit(uri)
    secure = parts.scheme == "https" or (
        loopback_http and parts.scheme == "http" and parts.hostname in LOOPBACK
    )
    unwanted_fragment = "#" in uri and not fragment
    if not secure or not parts.hostname or unwanted_fragment or any(c <= " " for c in uri):
        raise InvalidClientMetadata(f"{name} must be an https URL without a fragment")
    return uri


def check_request_uris(uris: Sequence[str]) -> tuple[str, ...]:
    """RFC 9101 §10.4 and Core §6.2: URLs this server fetches, so https (http on loopback for
    development, which the fetcher allows only then); a fragment may name the version."""
    return tuple(
        dict.fromkeys(
            check_https_uri(uri, "request_uris", loopback_http=True, fragment=True) or ""
            for uri in uris
        )
    )


def check_frontchannel_logout_uri(uri: str | None, redirect_uris: Sequence[str]) -> str | None:
    """Front-Channel Logout 1.0 §2: the scheme, host and port of a registered redirect URI."""
    if check_https_uri(uri, "frontchannel_logout_uri", loopback_http=True) is None:
        return None
    assert uri is not None
    origins = {_origin(redirect_uri) for redirect_uri in redirect_uris}
    if _origin(uri) not in origins:
        raise InvalidClientMetadata(
            "frontchannel_logout_uri must share scheme, host and port with a redirect_uri"
        )
    return uri


def _origin(uri: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme, parts.hostname, port


def check_alg(alg: str | None, name: str, allowed: Sequence[str]) -> str | None:
    if alg is not None and alg not in allowed:
        raise InvalidClientMetadata(f"{name} must be one of {', '.join(allowed)}")
    return alg


def check_assertion_alg(alg: str | None, method: str) -> str | None:
    """RFC 7591 §2 `token_endpoint_auth_signing_alg`: only for the JWT assertion methods."""
    if alg is None:
        return None
    if method not in ASSERTION_ALGS:
        raise InvalidClientMetadata(
            "token_endpoint_auth_signing_alg is only for private_key_jwt and client_secret_jwt"
        )
    return check_alg(alg, "token_endpoint_auth_signing_alg", ASSERTION_ALGS[method])


def check_subject_type(
    subject_type: str, sector_identifier_uri: str | None, redirect_uris: Sequence[str]
) -> str:
    """Core §8.1: a pairwise client whose redirect URIs span hosts names its sector."""
    if subject_type not in SUBJECT_TYPES:
        raise InvalidClientMetadata(f"subject_type must be one of {', '.join(SUBJECT_TYPES)}")
    hosts = {urlsplit(uri).hostname for uri in redirect_uris}
    if subject_type == "pairwise" and sector_identifier_uri is None and len(hosts) > 1:
        raise InvalidClientMetadata(
            "a pairwise client with redirect_uris on several hosts needs a sector_identifier_uri"
        )
    return subject_type


def check_default_max_age(max_age: int | None) -> int | None:
    if max_age is not None and (isinstance(max_age, bool) or max_age < 0):
        raise InvalidClientMetadata("default_max_age must be a non-negative number of seconds")
    return max_age


def check_strings(values: Sequence[str], name: str, longest: int = 200) -> tuple[str, ...]:
    if any(not value or len(value) > longest for value in values) or len(values) > 20:
        raise InvalidClientMetadata(f"{name} must be up to 20 strings of 1 to {longest} characters")
    return tuple(dict.fromkeys(values))
