"""Magic links: a single-use sign-in link sent to the account's email address.

Asking for a link answers the same for every address, and the account lookup, the link and
the mail all happen after the answer, in the background, so neither the words nor the timing
tell anyone whether an address has an account. Requests are counted per typed address, so
nobody can flood a mailbox.

A link is a 256-bit random token stored only as its SHA-256 digest, bound to the login flow
that asked for it and to the browser that asked (its device cookie, also digested). Spending it
is one guarded update, so it works once even when several nodes receive it at the same moment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol
from urllib.parse import urlencode

from ciam_oidc.authn.authenticators import (
    Attempt,
    Factor,
    Failed,
    Prompt,
    Result,
    Verified,
    Waiting,
)
from ciam_oidc.authn.branding import brand_name
from ciam_oidc.authn.durations import lifetime_in_words
from ciam_oidc.authn.mail import BackgroundMailer, Message
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.secrets import digest_secret, new_secret, secret_matches
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.protocol.ports import UserStore
from ciam_oidc.protocol.users import InvalidUser, normalize_email

LINK_PATH = "/login/link"
# RFC 8176 registers no value for a link sent by email; "email" is the one we document.
AMR = ("email",)
_EXPIRED = Failed(N_("This sign-in link has expired or was already used. Ask for a new one."))
_NOT_AN_ADDRESS = Failed(N_("Enter a valid email address."))


@dataclass(frozen=True)
class MagicLink:
    """A link as stored: never the token itself, only digests."""

    digest: str
    flow_id: str
    sub: str
    device_digest: str
    created_at: datetime
    expires_at: datetime


class MagicLinkStore(Protocol):
    async def add_link(self, link: MagicLink) -> None: ...

    async def find_live_link(self, digest: str, now: datetime) -> MagicLink | None:
        """The link if it is neither used nor expired at `now`; changes nothing."""

    async def consume_link(self, digest: str, flow_id: str, now: datetime) -> str | None:
        """Mark `flow_id`'s live link used, atomically across nodes, and return its subject.

        None when the link is unknown, expired, already used or belongs to another flow.
        """


@dataclass(frozen=True)
class LinkInfo:
    """What opening a live link reveals to the page that asks how to continue."""

    flow_id: str
    same_device: bool
    """Whether the link was opened in the browser that asked for it."""


@dataclass
class MagicLinkAuthenticator:
    users: UserStore
    links: MagicLinkStore
    mailer: BackgroundMailer
    throttle: LoginThrottle
    """Counts link requests per address: the limit on mail one address can be sent."""
    base_url: str
    """The issuer: links point at `{base_url}/login/link`."""
    ttl: timedelta
    clock: Callable[[], datetime]
    id: str = "magic_link"
    factors: frozenset[Factor] = frozenset({Factor.FIRST})

    async def enrolled(self, sub: str) -> bool:
        """Never offered as a second factor: the mailbox may be what the first factor was."""
        return False

    async def begin(self, attempt: Attempt) -> Prompt:
        return Prompt("methods/magic_link.html", {"email": attempt.login_hint})

    async def verify(self, attempt: Attempt, form: Mapping[str, str]) -> Result:
        """A form with `token` spends a link; one with `email` asks for a link."""
        token = form.get("token")
        if token:
            return await self._redeem(attempt, token)
        return await self._request_link(attempt, form.get("email", ""))

    async def inspect(self, token: str, device: str) -> LinkInfo | None:
        """Where a live link leads, without spending it: mail scanners open links too."""
        link = await self.links.find_live_link(digest_secret(token), self.clock())
        if link is None:
            return None
        same_device = bool(device) and secret_matches(device, link.device_digest)
        return LinkInfo(flow_id=link.flow_id, same_device=same_device)

    async def _request_link(self, attempt: Attempt, typed: str) -> Result:
        try:
            email = normalize_email(typed)
        except InvalidUser:
            return _NOT_AN_ADDRESS
        # Counted whether or not the address has an account, so the throttle tells nothing.
        if await self.throttle.admit(_throttle_key(email)):
            job = partial(self._mail_link, email, attempt.flow_id, attempt.device)
            self.mailer.defer(job, "emailing a sign-in link")
        return Waiting(
            gettext(
                "If an account exists for that address, we have sent it a sign-in link. "
                "It works once, for %(lifetime)s."
            )
            % {"lifetime": lifetime_in_words(self.ttl)}
        )

    async def _mail_link(self, email: str, flow_id: str, device: str) -> None:
        user = await self.users.find_user_by_email(email)
        if user is None or user.disabled:
            return
        token = new_secret()
        now = self.clock()
        link = MagicLink(
            digest=digest_secret(token),
            flow_id=flow_id,
            sub=user.sub,
            device_digest=digest_secret(device),
            created_at=now,
            expires_at=now + self.ttl,
        )
        await self.links.add_link(link)
        await self.mailer.send(self._message(user.email, token))

    async def _redeem(self, attempt: Attempt, token: str) -> Result:
        sub = await self.links.consume_link(digest_secret(token), attempt.flow_id, self.clock())
        if sub is None or attempt.sub not in (None, sub):
            return _EXPIRED
        user = await self.users.get_user(sub)
        if user is None or user.disabled:
            return _EXPIRED
        await self.throttle.succeeded(_throttle_key(user.email))
        return Verified(sub=sub, amr=AMR)

    def _message(self, to: str, token: str) -> Message:
        """In the language and brand of the request that asked: this runs in its context."""
        url = f"{self.base_url}{LINK_PATH}?{urlencode({'token': token})}"
        text = gettext(
            "Open this link to sign in:\n\n%(url)s\n\n"
            "It works once, for the next %(lifetime)s.\n\n"
            "If you did not ask to sign in, ignore this email. "
            "Do not forward it: the link signs in whoever uses it.\n"
        ) % {"url": url, "lifetime": lifetime_in_words(self.ttl)}
        subject = gettext("Your sign-in link for %(brand)s") % {"brand": brand_name()}
        return Message(to=to, subject=subject, text=text)


def _throttle_key(email: str) -> str:
    return f"magic:{email}"
