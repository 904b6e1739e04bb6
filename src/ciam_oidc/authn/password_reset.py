"""Forgotten passwords: a single-use link mailed to the account's address sets a new one.

Asking for a link answers the same for every address; the account lookup, the link and the
mail happen afterwards, in the background, so neither the words nor the timing tell anyone
whether an address has an account, and disabled accounts are sent nothing. Requests are
counted per typed address, so nobody can flood a mailbox.

A link is a 256-bit random token stored only as its SHA-256 digest. Opening it spends nothing
(mail scanners open links too); setting the password spends it in one guarded update, so it
works once even when several nodes receive it together. A reset is what someone does when
they fear their password is known: it signs the account out everywhere, revokes every grant
(so refresh tokens die with it) and voids the other links still in the mailbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol
from urllib.parse import urlencode

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.branding import brand_name
from ciam_oidc.authn.durations import lifetime_in_words
from ciam_oidc.authn.mail import BackgroundMailer, Message
from ciam_oidc.authn.password_policy import PasswordPolicy
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.passwords import hash_password
from ciam_oidc.crypto.secrets import digest_secret, new_secret
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.protocol.ports import GrantStore, UserStore
from ciam_oidc.protocol.users import InvalidUser, User, normalize_email

RESET_PATH = "/reset"
CONFIRM_PATH = "/reset/confirm"
NOT_AN_ADDRESS = N_("Enter a valid email address.")


@dataclass(frozen=True)
class ResetLink:
    """A link as stored: the token's digest, never the token."""

    digest: str
    sub: str
    flow_id: str | None
    """The sign-in that was open when the link was asked for, to go back to afterwards."""
    created_at: datetime
    expires_at: datetime


class ResetLinkStore(Protocol):
    async def add_reset_link(self, link: ResetLink) -> None: ...

    async def find_live_reset_link(self, digest: str, now: datetime) -> ResetLink | None:
        """The link if it is neither used nor expired at `now`; changes nothing."""

    async def consume_reset_link(self, digest: str, now: datetime) -> ResetLink | None:
        """Mark the live link used, atomically across nodes; None if it was not live."""

    async def void_reset_links_of(self, sub: str, now: datetime) -> int:
        """Mark every live link of the account used."""


class OpenFlows(Protocol):
    """Login flows, to tell whether the sign-in a link was asked from is still open."""

    async def load(self, flow_id: str, now: datetime) -> object | None: ...


@dataclass(frozen=True)
class ResetDone:
    flow_id: str | None
    """The sign-in to go back to, when it is still open."""


@dataclass(frozen=True)
class PasswordRefused:
    message: str
    """What is wrong with the new password; the link stays usable."""


@dataclass(frozen=True)
class PasswordResets:
    users: UserStore
    links: ResetLinkStore
    sessions: Sessions
    grants: GrantStore
    policy: PasswordPolicy
    mailer: BackgroundMailer
    throttle: LoginThrottle
    """Counts link requests per address: the limit on mail one address can be sent; also the
    sign-in throttle, whose count for the account a reset clears."""
    flows: OpenFlows
    audit: AuditLog
    base_url: str
    """The issuer: links point at `{base_url}/reset/confirm`."""
    ttl: timedelta
    clock: Callable[[], datetime]

    async def request(self, typed_email: str, flow_id: str | None) -> str | None:
        """Mail a link if the address has an account; a problem with the address, or None."""
        try:
            email = normalize_email(typed_email)
        except InvalidUser:
            return NOT_AN_ADDRESS
        # Counted whether or not the address has an account, so the throttle tells nothing.
        if await self.throttle.admit(_throttle_key(email)):
            self.mailer.defer(partial(self._mail_link, email, flow_id), "emailing a reset link")
        return None

    async def account_of(self, token: str) -> str | None:
        """The email address a live link resets the password of; spends nothing."""
        user = await self._live_account(token)
        return user.email if user else None

    async def reset(
        self, token: str, password: str, ip: str | None = None
    ) -> ResetDone | PasswordRefused | None:
        """Set the new password and spend the link; None when the link cannot be used."""
        user = await self._live_account(token)
        if user is None:
            return None
        problem = self.policy.problem(password, user.email)
        if problem:
            return PasswordRefused(problem)
        password_hash = await hash_password(password)
        now = self.clock()
        link = await self.links.consume_reset_link(digest_secret(token), now)
        if link is None:
            return None  # another request spent it first
        await self.users.set_password_hash(user.sub, password_hash)
        await self.links.void_reset_links_of(user.sub, now)
        await self.sessions.end_all(user.sub, now)
        await self.grants.revoke_grants_of(user.sub, now)
        # Whoever was locked out by failed guesses may sign in with the new password at once.
        await self.throttle.succeeded(user.email)
        await self.audit.record(EventType.PASSWORD_RESET, user.sub, ip)
        return ResetDone(await self._open_flow(link.flow_id, now))

    async def _live_account(self, token: str) -> User | None:
        if not token:
            return None
        link = await self.links.find_live_reset_link(digest_secret(token), self.clock())
        user = await self.users.get_user(link.sub) if link else None
        return None if user is None or user.disabled else user

    async def _mail_link(self, email: str, flow_id: str | None) -> None:
        user = await self.users.find_user_by_email(email)
        if user is None or user.disabled:
            return
        now = self.clock()
        token = new_secret()
        # Only a sign-in open now is kept: an id of ours, not whatever a query string carried.
        flow_id = await self._open_flow(flow_id, now)
        link = ResetLink(digest_secret(token), user.sub, flow_id, now, now + self.ttl)
        await self.links.add_reset_link(link)
        await self.mailer.send(self._message(user.email, token))

    async def _open_flow(self, flow_id: str | None, now: datetime) -> str | None:
        """`flow_id` while that sign-in is still open, else None."""
        if not flow_id or await self.flows.load(flow_id, now) is None:
            return None
        return flow_id

    def _message(self, to: str, token: str) -> Message:
        """In the language of the request that asked: this runs in its context."""
        url = f"{self.base_url}{CONFIRM_PATH}?{urlencode({'token': token})}"
        text = gettext(
            "Open this link to choose a new password:\n\n%(url)s\n\n"
            "It works once, for the next %(lifetime)s. Choosing a new "
            "password signs your account out on every device.\n\n"
            "If you did not ask for this, ignore this email: your password stays as it is.\n"
        ) % {"url": url, "lifetime": lifetime_in_words(self.ttl)}
        subject = gettext("Reset your password for %(brand)s") % {"brand": brand_name()}
        return Message(to=to, subject=subject, text=text)


def _throttle_key(email: str) -> str:
    return f"reset:{email}"
