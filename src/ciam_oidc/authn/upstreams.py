"""Upstream identity providers ("Sign in with Google"): what an operator configures, what a
sign-in through one proves, and the ports the federation service needs.

The outbound protocol work (discovery, token exchange, ID token validation, userinfo) lives in
`ciam_oidc.federation`, which implements `UpstreamClient`; storage implements the stores. This
module is plain data, so the rules about accounts (`authn.federation`) can be read and tested
without a network or a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from ciam_oidc.protocol.clients import UPSTREAM_ID as UPSTREAM_ID  # for the services and CLI
from ciam_oidc.protocol.users import User


class UpstreamKind(StrEnum):
    OIDC = "oidc"
    """OpenID Connect: identity from a validated ID token (and userinfo where needed)."""
    OAUTH2 = "oauth2"
    """Plain OAuth 2.0: identity from a userinfo-style API, mapped by `claim_map`."""


@dataclass(frozen=True)
class Upstream:
    id: str
    name: str
    """Shown on the sign-in button: "Continue with {name}"."""
    kind: UpstreamKind
    preset: str
    """"google", "microsoft", "apple", "github", "facebook", or "oidc"/"oauth2" (generic)."""
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    """Opened from its sealed form; None where the preset signs a JWT instead (Apple)."""
    private_key: str | None = field(default=None, repr=False)
    """PEM key for presets that sign their client secret (Apple's .p8 key)."""
    issuer: str | None = None
    """OIDC: the issuer whose discovery document names the endpoints. OAuth 2.0: the
    identifier recorded as the issuer of identities linked through this upstream."""
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    """Explicit endpoints; for OIDC, None means "from discovery"."""
    scopes: tuple[str, ...] = ()
    claim_map: Mapping[str, str] = field(default_factory=dict)
    """Local claim -> upstream claim name, for what the preset or default does not map."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Preset extras: Apple `team_id`, `key_id`; Microsoft `tenant`."""
    icon_uri: str | None = None
    """An https image for the button; None uses the preset's own icon."""
    trust_email: bool = False
    """Take the upstream's email as verified even without an `email_verified` claim."""
    trust_authn: bool = False
    """Let the upstream's `amr`/`acr` count towards this provider's policy (step-up, MFA)."""
    enabled: bool = True
    created_at: datetime | None = None


@dataclass(frozen=True)
class UpstreamIdentity:
    """Who the upstream says signed in, after every check passed."""

    upstream_id: str
    issuer: str
    """The `iss` of the ID token (OIDC) or the upstream's configured issuer (OAuth 2.0)."""
    subject: str
    """The upstream's stable identifier (`sub`, or GitHub's numeric id), never a login name."""
    email: str | None = None
    email_verified: bool = False
    claims: Mapping[str, Any] = field(default_factory=dict)
    """OpenID Connect Core §5.1 profile claims, mapped: name, given_name, family_name, locale."""
    amr: tuple[str, ...] = ()
    acr: str | None = None


class UpstreamFailure(StrEnum):
    CANCELLED = "cancelled"
    """The person declined at the upstream (`access_denied`)."""
    UNAVAILABLE = "unavailable"
    """The upstream did not answer, or answered with a server error."""
    MISCONFIGURED = "misconfigured"
    """The upstream refused our client (bad secret, unknown redirect URI, wrong scopes)."""
    REJECTED = "rejected"
    """What came back failed a check (state, nonce, issuer, audience, signature, expiry)."""


class UpstreamError(Exception):
    """A sign-in through an upstream that cannot complete. `detail` is for the log only: it
    may name endpoints and error codes, never a token or secret."""

    def __init__(self, failure: UpstreamFailure, detail: str) -> None:
        super().__init__(f"{failure}: {detail}")
        self.failure = failure
        self.detail = detail


@dataclass(frozen=True)
class UpstreamRequest:
    """One redirect to an upstream, remembered until its callback arrives."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    """Our callback for this upstream: `{issuer}/federation/{upstream id}/callback`."""


class UpstreamClient(Protocol):
    """The outbound protocol, per upstream kind and preset (`ciam_oidc.federation`)."""

    async def authorization_url(self, upstream: Upstream, request: UpstreamRequest) -> str:
        """Where to send the browser. Raises UpstreamError (discovery down, misconfigured)."""

    async def finish(
        self, upstream: Upstream, request: UpstreamRequest, response: Mapping[str, str]
    ) -> UpstreamIdentity:
        """Check the callback's parameters (query or form_post), redeem the code and prove
        the identity. Raises UpstreamError; never returns an identity it did not verify."""


class UpstreamStore(Protocol):
    async def add_upstream(self, upstream: Upstream) -> None:
        """Raises protocol.ports.AlreadyExists when the id is taken."""

    async def get_upstream(self, upstream_id: str) -> Upstream | None: ...

    async def list_upstreams(self) -> Sequence[Upstream]: ...

    async def update_upstream(self, upstream: Upstream) -> None: ...

    async def delete_upstream(self, upstream_id: str) -> bool: ...


@dataclass(frozen=True)
class LinkedIdentity:
    """An upstream identity that signs in to a local account: keyed by (issuer, subject)."""

    issuer: str
    subject: str
    sub: str
    upstream_id: str
    email: str | None
    linked_at: datetime
    last_used_at: datetime | None = None


class LinkedIdentityStore(Protocol):
    async def find_link(self, issuer: str, subject: str) -> LinkedIdentity | None: ...

    async def add_link(self, link: LinkedIdentity) -> None:
        """Raises protocol.ports.AlreadyExists when (issuer, subject) is linked to anyone."""

    async def add_account(self, user: User, link: LinkedIdentity) -> None:
        """A new account and its first link, in one transaction: both or neither. Raises
        AlreadyExists when the email is taken or the identity is already linked."""

    async def links_of(self, sub: str) -> Sequence[LinkedIdentity]: ...

    async def remove_link(self, sub: str, issuer: str, subject: str) -> bool: ...

    async def touch_link(self, issuer: str, subject: str, now: datetime) -> None: ...


@dataclass(frozen=True)
class PendingRedirect:
    """A redirect to an upstream in progress, bound to the browser that started it."""

    upstream_id: str
    request: UpstreamRequest
    device_digest: str
    """SHA-256 of the browser's device cookie: the callback must come back to that browser."""
    flow_id: str | None = None
    """Signing in: the login flow to continue."""
    sub: str | None = None
    """Linking from the account page: the account to link to."""


class PendingRedirectStore(Protocol):
    async def add_pending(
        self, state_digest: str, pending: PendingRedirect, expires_at: datetime
    ) -> None: ...

    async def take_pending(self, state_digest: str, now: datetime) -> PendingRedirect | None:
        """Single use: the row is deleted by the call that returns it (one winner)."""
