"""What makes an upstream configuration usable, checked once when an operator sets it up so a
mistake shows in the CLI rather than as a failed sign-in later."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ciam_oidc.authn.upstreams import UPSTREAM_ID, Upstream, UpstreamKind
from ciam_oidc.federation.apple import load_team_key

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
LOCAL_CLAIMS = frozenset(
    {"sub", "email", "email_verified", "name", "given_name", "family_name", "locale"}
)
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")
_MAX_NAME = 64
# Linked identities are keyed by (issuer, subject); leave room for a Microsoft tenant id.
_MAX_ISSUER = 180


class InvalidUpstream(ValueError):
    """A configuration that cannot work; the message says what to change."""


_RESPONSE_MODES = ("query", "form_post")


def check_upstream(upstream: Upstream, *, signs_secret: bool) -> None:
    if not UPSTREAM_ID.fullmatch(upstream.id):
        raise InvalidUpstream(
            f"id {upstream.id!r}: 1-32 lowercase letters, digits or '-', starting with a "
            "letter or digit (it appears in the callback URL)"
        )
    if not upstream.name.strip() or len(upstream.name) > _MAX_NAME:
        raise InvalidUpstream(f"name: 1 to {_MAX_NAME} characters")
    if not upstream.client_id:
        raise InvalidUpstream("a client id is required")
    _check_credentials(upstream, signs_secret)
    _check_options(upstream)
    _check_urls(upstream)
    _check_scopes(upstream.scopes)
    _check_claim_map(upstream)


def _check_credentials(upstream: Upstream, signs_secret: bool) -> None:
    if signs_secret:
        if upstream.client_secret is not None:
            raise InvalidUpstream("this preset signs its client secret: give the private key")
        if not upstream.private_key:
            raise InvalidUpstream("a private key is required (Apple's .p8 file)")
        try:
            load_team_key(upstream.private_key)
        except ValueError as error:
            raise InvalidUpstream(str(error)) from None
        return
    if upstream.private_key is not None:
        raise InvalidUpstream("only presets that sign their client secret take a private key")
    if not upstream.client_secret:
        raise InvalidUpstream("a client secret is required")


def _check_options(upstream: Upstream) -> None:
    missing = [option for option, value in upstream.options.items() if not value]
    if missing:
        raise InvalidUpstream(f"option {', '.join(missing)} is required (--option KEY=VALUE)")
    if upstream.options.get("response_mode", "query") not in _RESPONSE_MODES:
        raise InvalidUpstream(f"response_mode: one of {', '.join(_RESPONSE_MODES)}")
    tenant = upstream.options.get("tenant")
    if tenant is not None and not _TENANT.fullmatch(tenant):
        raise InvalidUpstream(f"tenant {tenant!r}: a tenant id, a domain or 'common'")


def _check_urls(upstream: Upstream) -> None:
    if upstream.issuer is None:
        raise InvalidUpstream("an issuer URL is required")
    _check_url("issuer", upstream.issuer)
    if len(upstream.issuer) > _MAX_ISSUER:
        raise InvalidUpstream(f"issuer: at most {_MAX_ISSUER} characters")
    if urlsplit(upstream.issuer).query:
        raise InvalidUpstream("issuer: no query allowed (OpenID Connect Discovery §2)")
    if upstream.kind is UpstreamKind.OAUTH2:
        for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint"):
            if getattr(upstream, endpoint) is None:
                raise InvalidUpstream(f"an OAuth 2.0 upstream needs its {endpoint}")
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "icon_uri",
    ):
        url = getattr(upstream, name)
        if url is not None:
            _check_url(name, url)


def _check_url(name: str, url: str) -> None:
    """https, except on loopback where tests and local development run (RFC 6749 §3.1.2.1
    and §10.9: credentials and codes travel on these URLs)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise InvalidUpstream(f"{name}: not a URL: {url!r}") from None
    if not host or parts.fragment:
        raise InvalidUpstream(f"{name}: an absolute URL without a fragment is required")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        raise InvalidUpstream(f"{name}: must use https ({url})")


def _check_scopes(scopes: tuple[str, ...]) -> None:
    bad = [scope for scope in scopes if not _SCOPE_TOKEN.fullmatch(scope)]
    if bad:
        raise InvalidUpstream(f"not a scope: {', '.join(map(repr, bad))}")


def _check_claim_map(upstream: Upstream) -> None:
    unknown = sorted(set(upstream.claim_map) - LOCAL_CLAIMS)
    if unknown:
        raise InvalidUpstream(
            f"cannot map {', '.join(unknown)}; local claims: {', '.join(sorted(LOCAL_CLAIMS))}"
        )
    if upstream.kind is UpstreamKind.OIDC and "sub" in upstream.claim_map:
        raise InvalidUpstream("an OpenID Connect upstream's subject is always its ID token's sub")
    if not all(upstream.claim_map.values()):
        raise InvalidUpstream("each mapped claim needs an upstream claim name")
