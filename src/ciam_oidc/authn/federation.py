"""Signing in through an upstream identity provider ("Continue with Google"), and the rules
that decide which local account such a sign-in reaches.

The protocol work with the upstream is `UpstreamClient`'s (`ciam_oidc.federation`); this
module decides what a proven upstream identity means here:

- An identity is linked to at most one account, by (issuer, subject), and a linked identity
  signs in to its account.
- An unlinked identity whose verified address belongs to an account is never linked by the
  address alone: anyone who can make an upstream vouch for an address (an upstream that is
  careless about verification, or an account registered there before its owner did) would
  otherwise walk into the local account (pre-account-takeover). The person signs in to the
  local account instead, in the same sign-in and the same browser, and only then is the
  identity linked to it (`PendingLink`).
- An unlinked identity with a verified address nobody uses creates an account just in time,
  where the client lets people register. Without a verified address nothing is created, and
  an unverified address is never stored.

A redirect to an upstream carries a fresh 256-bit `state`, a nonce and a PKCE verifier. They
are stored until the callback under the SHA-256 of the state, with a digest of the device
cookie of the browser that left, and taken (deleted) by the first callback that names them:
a callback answers one redirect, once, in the browser that started it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ciam_oidc.authn.account_profile import read_profile
from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.authenticators import Verified
from ciam_oidc.authn.upstream_links import LinkResult, UpstreamLinks, verified_email
from ciam_oidc.authn.upstreams import (
    LinkedIdentity,
    LinkedIdentityStore,
    PendingRedirect,
    PendingRedirectStore,
    Upstream,
    UpstreamClient,
    UpstreamError,
    UpstreamFailure,
    UpstreamIdentity,
    UpstreamRequest,
    UpstreamStore,
)
from ciam_oidc.crypto.secrets import digest_secret, new_secret, secret_matches
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.protocol.ports import AlreadyExists, UserStore
from ciam_oidc.protocol.users import UserRequest, new_user

CALLBACK_PATH = "/federation/{upstream_id}/callback"
REDIRECT_TTL = timedelta(minutes=10)
# RFC 8176 §2: "fed" names a sign-in done elsewhere and vouched for by a federated party.
FEDERATED = "fed"
# RFC 8176 §2's registry; anything else an upstream reports means nothing here.
_REGISTERED_AMR = frozenset(
    [
        "face",
        "fpt",
        "geo",
        "hwk",
        "iris",
        "kba",
        "mca",
        "mfa",
        "otp",
        "pin",
        "pop",
        "pwd",
        "rba",
        "retina",
        "sc",
        "sms",
        "swk",
        "tel",
        "user",
        "vbm",
        "wia",
    ]
)
# acr values that say the upstream used several factors (OpenID PAPE 1.0 §4, REFEDS MFA).
_MULTI_FACTOR_ACR = frozenset(
    {
        "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
        "http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical",
        "https://refeds.org/profile/mfa",
    }
)

_FAILED = {
    UpstreamFailure.CANCELLED: N_("Sign-in with %(name)s was cancelled."),
    UpstreamFailure.UNAVAILABLE: N_(
        "%(name)s is not answering right now. Try again in a few minutes, or sign in another way."
    ),
    UpstreamFailure.MISCONFIGURED: N_(
        "Sign-in with %(name)s did not work. Try again later, or sign in another way."
    ),
}
_NO_ADDRESS = N_(
    "%(name)s did not confirm an email address for you, so no account was created. "
    "Sign in another way, or create an account."
)
_NO_REGISTRATION = N_(
    "There is no account here for you yet, and this application does not let you create one "
    "with %(name)s. Sign in another way."
)
_ACCOUNT_EXISTS = N_(
    "An account with %(email)s already exists. Sign in to it here to connect %(name)s; after "
    "that, %(name)s signs you in to it directly."
)
_DISABLED = N_("This account is disabled, so it cannot sign in.")


def failure_message(failure: UpstreamFailure, name: str) -> str:
    """Why a sign-in through upstream `name` failed, in the request's language."""
    message = _FAILED.get(failure, _FAILED[UpstreamFailure.MISCONFIGURED])
    return gettext(message) % {"name": name}


class CallbackRefused(Exception):
    """The callback matches no redirect this browser started (an unknown, used or expired
    state, another browser, another upstream): there is nothing to continue."""


class UpstreamFailed(Exception):
    """The callback belongs to a redirect we started, but the sign-in did not succeed there
    (cancelled, unavailable, a check failed): the page that started it says so."""

    def __init__(self, pending: PendingRedirect, upstream: Upstream, error: UpstreamError):
        super().__init__(str(error))
        self.pending = pending
        self.upstream = upstream
        self.error = error

    @property
    def message(self) -> str:
        return failure_message(self.error.failure, self.upstream.name)


@dataclass(frozen=True)
class Callback:
    """A callback matched to its redirect, with the identity the upstream proved."""

    pending: PendingRedirect
    upstream: Upstream
    identity: UpstreamIdentity


@dataclass(frozen=True)
class PendingLink:
    """An identity waiting to be linked to the account its address matched, once that
    account signs in within the same sign-in, in the same browser. Kept in the login flow."""

    upstream_id: str
    name: str
    """The upstream's name, for the page that asks to sign in."""
    issuer: str
    subject: str
    email: str
    sub: str
    """The account whose address matched: only its sign-in links the identity."""
    device_digest: str

    @property
    def notice(self) -> str:
        """What the sign-in page says while the link waits, in the request's language."""
        return gettext(_ACCOUNT_EXISTS) % {"email": self.email, "name": self.name}

    def state(self) -> dict[str, str]:
        return {
            "upstream_id": self.upstream_id,
            "name": self.name,
            "issuer": self.issuer,
            "subject": self.subject,
            "email": self.email,
            "sub": self.sub,
            "device_digest": self.device_digest,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> PendingLink | None:
        try:
            return cls(**{name: str(state[name]) for name in cls.__dataclass_fields__})
        except KeyError:
            return None


@dataclass(frozen=True)
class LinkNeeded:
    """The address belongs to an account: it must sign in before the identity is linked."""

    link: PendingLink


@dataclass(frozen=True)
class NoAccount:
    """Nothing was created or signed in; `message` says why, in the request's language."""

    message: str


Resolution = Verified | LinkNeeded | NoAccount


@dataclass(frozen=True)
class Federation:
    upstreams: UpstreamStore
    links: LinkedIdentityStore
    redirects: PendingRedirectStore
    client: UpstreamClient
    users: UserStore
    audit: AuditLog
    issuer: str
    clock: Callable[[], datetime]
    linking: UpstreamLinks
    """Links identities to accounts, for a sign-in here as for the account page."""
    redirect_ttl: timedelta = REDIRECT_TTL

    async def offered(self, allow_list: tuple[str, ...] | None) -> list[Upstream]:
        """The enabled upstreams a client allows (None: all), in the operator's order."""
        return [
            upstream
            for upstream in await self.upstreams.list_upstreams()
            if upstream.enabled and (allow_list is None or upstream.id in allow_list)
        ]

    async def begin(
        self, upstream_id: str, device: str, *, flow_id: str | None = None, sub: str | None = None
    ) -> str:
        """The upstream's authorization URL for this browser (`device`), to continue login
        flow `flow_id` or to link to account `sub`. Raises UpstreamError."""
        upstream = await self.upstreams.get_upstream(upstream_id)
        if upstream is None or not upstream.enabled:
            raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"{upstream_id!r} is not enabled")
        callback = CALLBACK_PATH.format(upstream_id=upstream.id)
        request = UpstreamRequest(
            state=new_secret(),
            nonce=new_secret(),
            # RFC 7636 §4.1: 43 to 128 characters; 64 carry 384 bits.
            code_verifier=new_secret(48),
            redirect_uri=f"{self.issuer}{callback}",
        )
        url = await self.client.authorization_url(upstream, request)
        pending = PendingRedirect(upstream.id, request, digest_secret(device), flow_id, sub)
        now = self.clock()
        await self.redirects.add_pending(
            digest_secret(request.state), pending, now + self.redirect_ttl
        )
        return url

    async def callback(self, upstream_id: str, params: Mapping[str, str], device: str) -> Callback:
        """The identity a callback proves. Raises CallbackRefused or UpstreamFailed."""
        state = params.get("state", "")
        if not state:
            raise CallbackRefused(upstream_id)
        pending = await self.redirects.take_pending(digest_secret(state), self.clock())
        if (
            pending is None
            or pending.upstream_id != upstream_id
            or not secret_matches(device, pending.device_digest)
        ):
            raise CallbackRefused(upstream_id)
        upstream = await self.upstreams.get_upstream(upstream_id)
        if upstream is None:
            raise CallbackRefused(upstream_id)
        if not upstream.enabled:
            refused = UpstreamError(UpstreamFailure.MISCONFIGURED, "disabled meanwhile")
            raise UpstreamFailed(pending, upstream, refused)
        try:
            identity = await self.client.finish(upstream, pending.request, params)
        except UpstreamError as error:
            raise UpstreamFailed(pending, upstream, error) from error
        return Callback(pending, upstream, identity)

    async def resolve(
        self, callback: Callback, may_register: bool, device: str, ip: str | None = None
    ) -> Resolution:
        """The account an upstream sign-in reaches, created just in time where allowed."""
        upstream, identity = callback.upstream, callback.identity
        link = await self.links.find_link(identity.issuer, identity.subject)
        if link is not None:
            return await self._linked_account(link, upstream, identity)
        email = verified_email(identity)
        name = {"name": upstream.name}
        if email is None:
            return NoAccount(gettext(_NO_ADDRESS) % name)
        existing = await self.users.find_user_by_email(email)
        if existing is not None:
            pending = PendingLink(
                upstream.id,
                upstream.name,
                identity.issuer,
                identity.subject,
                email,
                existing.sub,
                digest_secret(device),
            )
            return LinkNeeded(pending)
        if not may_register:
            return NoAccount(gettext(_NO_REGISTRATION) % name)
        return await self._register(callback, email, device, ip)

    async def link_signed_in(
        self, pending: PendingLink, sub: str, device: str, ip: str | None = None
    ) -> bool:
        """After `sub` signed in during the sign-in that found `pending`: link it, if `sub` is
        the account whose address matched and this is the browser that went upstream."""
        if sub != pending.sub or not secret_matches(device, pending.device_digest):
            return False
        identity = UpstreamIdentity(
            pending.upstream_id, pending.issuer, pending.subject, pending.email, True
        )
        return await self.linking.link(sub, identity, ip) is LinkResult.LINKED

    async def _linked_account(
        self, link: LinkedIdentity, upstream: Upstream, identity: UpstreamIdentity
    ) -> Verified | NoAccount:
        user = await self.users.get_user(link.sub)
        if user is None or user.disabled:
            return NoAccount(gettext(_DISABLED))
        await self.links.touch_link(link.issuer, link.subject, self.clock())
        return Verified(user.sub, upstream_amr(upstream, identity))

    async def _register(
        self, callback: Callback, email: str, device: str, ip: str | None
    ) -> Resolution:
        """A new account for the identity, its address verified by the upstream."""
        upstream, identity = callback.upstream, callback.identity
        now = self.clock()
        user = new_user(UserRequest(email, True, _profile(identity.claims)), None, now)
        link = LinkedIdentity(identity.issuer, identity.subject, user.sub, upstream.id, email, now)
        try:
            await self.links.add_account(user, link)
        except AlreadyExists:
            # Another request linked the identity or took the address meanwhile: decide anew.
            return await self.resolve(callback, may_register=False, device=device, ip=ip)
        await self.audit.record(
            EventType.ACCOUNT_REGISTERED, user.sub, ip, method="upstream", upstream=upstream.id
        )
        await self.audit.record(EventType.UPSTREAM_LINKED, user.sub, ip, upstream=upstream.id)
        return Verified(user.sub, upstream_amr(upstream, identity))


def upstream_amr(upstream: Upstream, identity: UpstreamIdentity) -> tuple[str, ...]:
    """RFC 8176 `amr` for a sign-in through `upstream`: "fed", and what the upstream says it
    did only when the operator trusts it to say so (`protocol.acr` then weighs the factors)."""
    if not upstream.trust_authn:
        return (FEDERATED,)
    reported = [value for value in identity.amr if value in _REGISTERED_AMR]
    if identity.acr in _MULTI_FACTOR_ACR:
        reported.append("mfa")
    return tuple(dict.fromkeys([FEDERATED, *reported]))


def _profile(claims: Mapping[str, Any]) -> dict[str, str]:
    """The upstream's profile claims that are usable here (checked like the profile form)."""
    typed = {claim: value for claim, value in claims.items() if isinstance(value, str)}
    profile = read_profile(typed)
    return {
        claim: value
        for claim, value in profile.values.items()
        if value and claim not in profile.problems
    }
