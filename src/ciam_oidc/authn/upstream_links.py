"""The upstream identities linked to an account: linking one once both sides are proven,
listing them with what could still be connected, and unlinking one, unless it is the account's
last way in (an account nobody can sign in to is lost to its owner).

Linking never moves an identity: (issuer, subject) signs in to at most one account, and one
already linked elsewhere stays there until that account unlinks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.authenticators import Authenticator, Factor
from ciam_oidc.authn.upstreams import (
    LinkedIdentity,
    LinkedIdentityStore,
    Upstream,
    UpstreamIdentity,
    UpstreamStore,
)
from ciam_oidc.protocol.ports import AlreadyExists
from ciam_oidc.protocol.users import InvalidUser, normalize_email


@dataclass(frozen=True)
class UpstreamChoice:
    """An upstream as a button shows it: never its secrets."""

    id: str
    name: str
    preset: str
    icon_uri: str | None


def choice_of(upstream: Upstream) -> UpstreamChoice:
    return UpstreamChoice(upstream.id, upstream.name, upstream.preset, upstream.icon_uri)


class LinkResult(StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already-linked"
    LINKED_ELSEWHERE = "linked-elsewhere"


class UnlinkResult(StrEnum):
    UNLINKED = "unlinked"
    GONE = "gone"
    LAST_WAY_IN = "last-way-in"


@dataclass(frozen=True)
class Connection:
    link: LinkedIdentity
    name: str
    """The upstream's name, or its id when the operator has deleted it."""


@dataclass(frozen=True)
class Connections:
    linked: tuple[Connection, ...]
    available: tuple[UpstreamChoice, ...]
    """Enabled upstreams the account has no identity linked through yet."""


@dataclass(frozen=True)
class UpstreamLinks:
    upstreams: UpstreamStore
    links: LinkedIdentityStore
    audit: AuditLog
    clock: Callable[[], datetime]
    local_methods: Sequence[Authenticator] = ()
    """The deployment's own sign-in methods, to tell whether an account could still sign in
    without the identity it unlinks (a password, a passkey)."""
    mail_sign_in: bool = False
    """Anyone can sign in with a link mailed to their address: nobody is ever locked out."""

    async def link(self, sub: str, identity: UpstreamIdentity, ip: str | None) -> LinkResult:
        """Link `identity` to `sub`; the caller has seen both proven in one browser."""
        existing = await self.links.find_link(identity.issuer, identity.subject)
        if existing is not None:
            return LinkResult.ALREADY_LINKED if existing.sub == sub else LinkResult.LINKED_ELSEWHERE
        link = LinkedIdentity(
            identity.issuer,
            identity.subject,
            sub,
            identity.upstream_id,
            verified_email(identity),
            self.clock(),
        )
        try:
            await self.links.add_link(link)
        except AlreadyExists:
            return LinkResult.LINKED_ELSEWHERE  # linked by a racing request; ours lost
        await self.audit.record(EventType.UPSTREAM_LINKED, sub, ip, upstream=identity.upstream_id)
        return LinkResult.LINKED

    async def unlink(
        self, sub: str, issuer: str, subject: str, ip: str | None = None
    ) -> UnlinkResult:
        links = await self.links.links_of(sub)
        target = next((k for k in links if (k.issuer, k.subject) == (issuer, subject)), None)
        if target is None:
            return UnlinkResult.GONE
        if len(links) == 1 and not await self._signs_in_locally(sub):
            return UnlinkResult.LAST_WAY_IN
        if not await self.links.remove_link(sub, issuer, subject):
            return UnlinkResult.GONE
        await self.audit.record(EventType.UPSTREAM_UNLINKED, sub, ip, upstream=target.upstream_id)
        return UnlinkResult.UNLINKED

    async def connections(self, sub: str) -> Connections:
        upstreams = await self.upstreams.list_upstreams()
        names = {upstream.id: upstream.name for upstream in upstreams}
        links = await self.links.links_of(sub)
        linked_through = {link.upstream_id for link in links}
        return Connections(
            linked=tuple(Connection(k, names.get(k.upstream_id, k.upstream_id)) for k in links),
            available=tuple(
                choice_of(upstream)
                for upstream in upstreams
                if upstream.enabled and upstream.id not in linked_through
            ),
        )

    async def _signs_in_locally(self, sub: str) -> bool:
        """Whether the account has a way in of its own: a password, a passkey, a mailed link."""
        if self.mail_sign_in:
            return True
        for method in self.local_methods:
            if Factor.FIRST in method.factors and await method.enrolled(sub):
                return True
        return False


def verified_email(identity: UpstreamIdentity) -> str | None:
    """The address, only when the upstream vouches for it: an unverified one is never kept."""
    if not identity.email_verified or not identity.email:
        return None
    try:
        return normalize_email(identity.email)
    except InvalidUser:
        return None
