"""Known upstreams as data: what each one's endpoints, scopes and claims are by default, and
which of its quirks apply. `configure` turns a preset plus an operator's choices into a
checked `Upstream`; anything the operator gives explicitly wins over the preset.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from ciam_oidc.authn.upstreams import Upstream, UpstreamKind
from ciam_oidc.federation import apple, github
from ciam_oidc.federation.upstream_checks import InvalidUpstream, check_upstream

__all__ = ["PRESETS", "InvalidUpstream", "Preset", "configure", "preset_of"]

EmailSource = Callable[[httpx.AsyncClient, Upstream], Awaitable[tuple[str | None, bool]]]
"""An OAuth 2.0 upstream whose userinfo does not say reliably which email is verified."""
CallbackProfile = Callable[[Mapping[str, str]], dict[str, str]]
"""Profile claims that arrive in the callback itself (Apple's `user` field)."""
ClientSecret = Callable[[Upstream, datetime], str]
"""A client secret made per token request (Apple's signed JWT)."""


@dataclass(frozen=True)
class Preset:
    name: str
    kind: UpstreamKind
    issuer: str | None = None
    """May hold `{tenant}`, filled from the option of that name (Microsoft)."""
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    scopes: tuple[str, ...] = ()
    claim_map: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)
    """The options this preset reads, with their defaults ("" = required)."""
    trust_email: bool = False
    response_mode: str | None = None
    token_auth_method: str | None = None
    """None: what discovery offers, client_secret_basic first (OpenID Connect Discovery §3)."""
    issuer_aliases: tuple[str, ...] = ()
    """Other spellings of the issuer its ID tokens may carry; identities keep `issuer`."""
    tenant_issuer: bool = False
    """Discovery names a `{tenantid}` template; each ID token's `tid` fills it (Microsoft)."""
    client_secret: ClientSecret | None = None
    callback_profile: CallbackProfile | None = None
    email_source: EmailSource | None = None
    generic: bool = False
    """No defaults to speak of: the operator names it and gives its endpoints."""


PRESETS: Mapping[str, Preset] = {
    "google": Preset(
        "Google",
        UpstreamKind.OIDC,
        issuer="https://accounts.google.com",
        scopes=("openid", "email", "profile"),
        # Google: "The value of iss in the ID token is equal to accounts.google.com or
        # https://accounts.google.com".
        issuer_aliases=("accounts.google.com",),
    ),
    "microsoft": Preset(
        "Microsoft",
        UpstreamKind.OIDC,
        issuer="https://login.microsoftonline.com/{tenant}/v2.0",
        scopes=("openid", "email", "profile"),
        options={"tenant": "common"},
        tenant_issuer=True,
    ),
    "apple": Preset(
        "Apple",
        UpstreamKind.OIDC,
        issuer=apple.APPLE_ISSUER,
        scopes=("name", "email"),
        options={"team_id": "", "key_id": ""},
        response_mode="form_post",  # Apple requires it when asking for name or email
        token_auth_method="client_secret_post",
        client_secret=apple.signed_client_secret,
        callback_profile=apple.name_from_user_field,
    ),
    "github": Preset(
        "GitHub",
        UpstreamKind.OAUTH2,
        issuer="https://github.com",
        authorization_endpoint="https://github.com/login/oauth/authorize",
        token_endpoint="https://github.com/login/oauth/access_token",
        userinfo_endpoint="https://api.github.com/user",
        scopes=("read:user", "user:email"),
        claim_map={"sub": "id"},
        token_auth_method="client_secret_post",
        email_source=github.github_email,
    ),
    "facebook": Preset(
        "Facebook",
        UpstreamKind.OAUTH2,
        issuer="https://www.facebook.com",
        authorization_endpoint="https://www.facebook.com/dialog/oauth",
        token_endpoint="https://graph.facebook.com/oauth/access_token",
        userinfo_endpoint="https://graph.facebook.com/me?fields=id,name,email,first_name,last_name",
        scopes=("email", "public_profile"),
        claim_map={"sub": "id", "given_name": "first_name", "family_name": "last_name"},
        # Facebook returns an email only once the person has confirmed it.
        trust_email=True,
        token_auth_method="client_secret_post",
    ),
    "oidc": Preset(
        "OpenID Connect",
        UpstreamKind.OIDC,
        scopes=("openid", "email", "profile"),
        # OAuth 2.0 Form Post Response Mode: the code arrives in a POST body, not in a URL.
        options={"response_mode": "query"},
        generic=True,
    ),
    "oauth2": Preset("OAuth 2.0", UpstreamKind.OAUTH2, generic=True),
}


def preset_of(upstream: Upstream) -> Preset:
    """The preset an upstream was configured from; an unknown name (a row written by a
    newer version) behaves as the generic preset of its kind."""
    return PRESETS.get(upstream.preset) or PRESETS[upstream.kind.value]


def configure(
    preset: str,
    *,
    id: str,
    client_id: str,
    client_secret: str | None = None,
    private_key: str | None = None,
    issuer: str | None = None,
    name: str | None = None,
    scopes: tuple[str, ...] | list[str] | None = None,
    authorization_endpoint: str | None = None,
    token_endpoint: str | None = None,
    userinfo_endpoint: str | None = None,
    jwks_uri: str | None = None,
    claim_map: Mapping[str, str] | None = None,
    options: Mapping[str, str] | None = None,
    icon_uri: str | None = None,
    trust_email: bool | None = None,
    trust_authn: bool = False,
    enabled: bool = True,
    now: datetime,
) -> Upstream:
    """An upstream from `preset` with the operator's values over its defaults, checked.
    Raises InvalidUpstream with a message the operator can act on."""
    defaults = PRESETS.get(preset)
    if defaults is None:
        raise InvalidUpstream(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    unknown = sorted(set(options or {}) - set(defaults.options))
    if unknown:
        known = ", ".join(defaults.options) or "none"
        raise InvalidUpstream(f"unknown option {', '.join(unknown)} (this preset takes {known})")
    chosen_options = {**defaults.options, **(options or {})}
    if name is None and defaults.generic:
        raise InvalidUpstream(f"a {preset} upstream needs a name for its sign-in button")
    upstream = Upstream(
        id=id,
        name=name if name is not None else defaults.name,
        kind=defaults.kind,
        preset=preset,
        client_id=client_id,
        client_secret=client_secret,
        private_key=private_key,
        issuer=issuer or _filled(defaults.issuer, chosen_options),
        authorization_endpoint=authorization_endpoint or defaults.authorization_endpoint,
        token_endpoint=token_endpoint or defaults.token_endpoint,
        userinfo_endpoint=userinfo_endpoint or defaults.userinfo_endpoint,
        jwks_uri=jwks_uri,
        scopes=tuple(scopes) if scopes is not None else defaults.scopes,
        claim_map={**defaults.claim_map, **(claim_map or {})},
        options=chosen_options,
        icon_uri=icon_uri,
        trust_email=defaults.trust_email if trust_email is None else trust_email,
        trust_authn=trust_authn,
        enabled=enabled,
        created_at=now,
    )
    check_upstream(upstream, signs_secret=defaults.client_secret is not None)
    return upstream


def _filled(issuer: str | None, options: Mapping[str, str]) -> str | None:
    return None if issuer is None else issuer.replace("{tenant}", options.get("tenant", ""))
