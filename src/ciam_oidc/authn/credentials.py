"""Changing one's own password or email address from the account pages.

Both need a recent sign-in (the web layer checks it); beyond that, a password change needs the
current password, counted against the account's sign-in throttle, since a stolen session must
not become a way to guess it. A changed password signs out every other browser of the account.

A new email address must prove itself before it replaces the old one: a 6-digit code goes to
it, stored as an HMAC bound to the account and the address (six digits are too few for a bare
hash), and guessed at most a few times before it dies. The old address is told afterwards, so
its owner learns of a change they did not make.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.branding import brand_name
from ciam_oidc.authn.durations import lifetime_in_words
from ciam_oidc.authn.mail import BackgroundMailer, Message
from ciam_oidc.authn.password_policy import PasswordPolicy
from ciam_oidc.authn.password_reset import NOT_AN_ADDRESS
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.passwords import hash_password, verify_password
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.protocol.ports import AlreadyExists, BrowserSession, UserStore
from ciam_oidc.protocol.users import InvalidUser, User, normalize_email

MAX_CODE_ATTEMPTS = 5
_CODE_DIGITS = 6
_NO_ACCOUNT = N_("This account no longer exists.")
_THROTTLED = N_("Too many wrong passwords. Wait a few minutes and try again.")
_WRONG_PASSWORD = N_("That is not your current password.")
_SAME_ADDRESS = N_("That is already your email address.")
_TOO_MANY_CODES = N_("Too many codes were sent to that address. Wait a few minutes and try again.")
_WRONG_CODE = N_("That code is not right. Check the newest email we sent and type its code.")
_CODE_DEAD = N_("This code has expired or was tried too many times. Ask for a new one.")
_ADDRESS_TAKEN = N_("That address belongs to another account. Choose another address.")


@dataclass(frozen=True)
class PasswordChanges:
    users: UserStore
    sessions: Sessions
    throttle: LoginThrottle
    """The sign-in throttle: a wrong current password counts as a failed sign-in."""
    policy: PasswordPolicy
    audit: AuditLog
    clock: Callable[[], datetime]

    async def has_password(self, sub: str) -> bool:
        """An account that signs in only by passkey or link sets a first password freely."""
        user = await self.users.get_user(sub)
        return user is not None and user.password_hash is not None

    async def change(
        self, session: BrowserSession, current: str, new: str, ip: str | None = None
    ) -> str | None:
        """Set `new` as the password of the session's account; a problem to show, or None."""
        user = await self.users.get_user(session.authentication.sub)
        if user is None or user.disabled:
            return _NO_ACCOUNT
        problem = await self._check_current(user, current)
        if problem is None:
            problem = self.policy.problem(new, user.email)
        if problem:
            return problem
        await self.users.set_password_hash(user.sub, await hash_password(new))
        now = self.clock()
        # The browser that changed it stays signed in; any other may be the one feared.
        for other in await self.sessions.of(user.sub, now):
            if other.id != session.id:
                await self.sessions.end_one(user.sub, other.id, now)
        await self.audit.record(EventType.PASSWORD_CHANGED, user.sub, ip)
        return None

    async def _check_current(self, user: User, current: str) -> str | None:
        if user.password_hash is None:
            return None
        # The same key the password sign-in counts under (the address), so guesses here and
        # at the sign-in page share one limit.
        if not await self.throttle.admit(user.email):
            return _THROTTLED
        matches, _ = await verify_password(current, user.password_hash)
        if not matches:
            return _WRONG_PASSWORD
        await self.throttle.succeeded(user.email)
        return None


@dataclass(frozen=True)
class PendingEmailChange:
    sub: str
    email: str
    """The new address, waiting for its code."""
    code_digest: str
    attempts: int
    created_at: datetime
    expires_at: datetime


class EmailChangeStore(Protocol):
    async def put_email_change(self, change: PendingEmailChange) -> None:
        """Store the change, replacing any the account had pending."""

    async def find_email_change(self, sub: str, now: datetime) -> PendingEmailChange | None:
        """The account's change if it has not expired at `now`."""

    async def count_email_change_attempt(
        self, sub: str, now: datetime, max_attempts: int
    ) -> PendingEmailChange | None:
        """Count one guess at the code, atomically across nodes, and return the change.

        None when there is none, it expired, or `max_attempts` guesses were already counted.
        """

    async def finish_email_change(self, sub: str, code_digest: str) -> bool:
        """Remove the change if it still has this code; False if another request did first."""


@dataclass(frozen=True)
class EmailChanged:
    email: str


@dataclass(frozen=True)
class EmailChanges:
    users: UserStore
    changes: EmailChangeStore
    mailer: BackgroundMailer
    throttle: LoginThrottle
    """Counts codes sent per new address, so nobody can flood a mailbox through us."""
    audit: AuditLog
    code_key: bytes
    """The HMAC key codes are stored under (derived from the master secret)."""
    ttl: timedelta
    clock: Callable[[], datetime]

    async def pending(self, sub: str) -> str | None:
        """The new address waiting for its code, if any."""
        change = await self.changes.find_email_change(sub, self.clock())
        return change.email if change else None

    async def start(self, sub: str, typed_email: str) -> str | None:
        """Mail a code to the new address; a problem to show, or None."""
        try:
            email = normalize_email(typed_email)
        except InvalidUser:
            return NOT_AN_ADDRESS
        user = await self.users.get_user(sub)
        if user is None or user.disabled:
            return _NO_ACCOUNT
        if email == user.email:
            return _SAME_ADDRESS
        # Whether another account has the address is not said here: only once the person
        # proves, with the code, that the mailbox is theirs.
        if not await self.throttle.admit(f"email-change:{email}"):
            return _TOO_MANY_CODES
        code = f"{secrets.randbelow(10**_CODE_DIGITS):0{_CODE_DIGITS}d}"
        now = self.clock()
        digest = self._digest(sub, email, code)
        await self.changes.put_email_change(
            PendingEmailChange(sub, email, digest, 0, now, now + self.ttl)
        )
        await self.mailer.send(self._code_message(email, code))
        return None

    async def confirm(self, sub: str, typed_code: str, ip: str | None = None) -> EmailChanged | str:
        """Make the pending address the account's, verified; or a problem to show."""
        now = self.clock()
        change = await self.changes.count_email_change_attempt(sub, now, MAX_CODE_ATTEMPTS)
        if change is None:
            return _CODE_DEAD
        code = "".join(typed_code.split())
        if not hmac.compare_digest(self._digest(sub, change.email, code), change.code_digest):
            return _WRONG_CODE
        if not await self.changes.finish_email_change(sub, change.code_digest):
            return _CODE_DEAD
        user = await self.users.get_user(sub)
        if user is None or user.disabled:
            return _NO_ACCOUNT
        try:
            await self.users.change_email(sub, change.email, verified=True, now=now)
        except AlreadyExists:
            return _ADDRESS_TAKEN
        await self.audit.record(EventType.EMAIL_CHANGED, sub, ip)
        await self.mailer.send(_notice_to_old_address(user.email))
        return EmailChanged(change.email)

    def _digest(self, sub: str, email: str, code: str) -> str:
        message = f"{sub}\0{email}\0{code}".encode()
        return hmac.new(self.code_key, message, hashlib.sha256).hexdigest()

    def _code_message(self, to: str, code: str) -> Message:
        text = gettext(
            "Your code to confirm this email address: %(code)s\n\n"
            "Type it on the page where you asked to use this address for your account. "
            "It works for the next %(lifetime)s.\n\n"
            "If you did not ask for this, ignore this email: nothing changes.\n"
        ) % {"code": code, "lifetime": lifetime_in_words(self.ttl)}
        # Not in the subject: subjects end up in logs and on locked screens.
        subject = gettext("Confirm your new email address for %(brand)s")
        return Message(to=to, subject=subject % {"brand": brand_name()}, text=text)


def _notice_to_old_address(to: str) -> Message:
    """In the language of the request that changed it."""
    text = gettext(
        "The email address of your account was just changed, and this address no longer "
        "signs in to it.\n\n"
        "If you made this change, there is nothing to do. If you did not, someone else may "
        "be using your account: contact support straight away.\n"
    )
    subject = gettext("Your email address for %(brand)s was changed")
    return Message(to=to, subject=subject % {"brand": brand_name()}, text=text)
