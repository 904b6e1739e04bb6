"""Creating an account: a password the policy accepts, and an email address proven by a code.

Nobody learns from this form whether an address already has an account. Every acceptable form
gets the same answer ("we sent a code to ..."), after the same work: the password is hashed
and a pending registration with a fresh code is stored whoever the address belongs to. Only
then, in the background, is the address looked up: a new address is mailed the code, an
address that has an account is mailed a note saying someone tried to register it (and no
code, so its pending registration can never be completed). Guessing at the code page behaves
alike for both, since both have a live registration behind them.

The code is 6 digits, short enough to type from a phone, which is safe only because guesses
are few: each registration allows MAX_CODE_ATTEMPTS tries (5 in a million), counted before
checking, atomically across nodes. It is stored as an HMAC-SHA256 under a key derived for
"registration-codes" with the registration's id mixed in, so a copy of the table does not
give the codes away. A correct code deletes the registration in the same statement that
hands it over, so it creates one account once. Registrations are counted per typed address,
which limits the mail one mailbox can be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlencode

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.authenticators import Verified
from ciam_oidc.authn.branding import brand_name
from ciam_oidc.authn.durations import lifetime_in_words
from ciam_oidc.authn.mail import BackgroundMailer, Message
from ciam_oidc.authn.password_policy import PasswordPolicy
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.passwords import hash_password
from ciam_oidc.crypto.secrets import new_secret
from ciam_oidc.i18n import N_, gettext, ngettext
from ciam_oidc.protocol.ports import AlreadyExists, UserStore
from ciam_oidc.protocol.users import InvalidUser, UserRequest, new_user, normalize_email

VERIFY_PATH = "/register/verify"
"""Where the mailed link points: a page that asks to confirm, never acting on a GET."""
CODE_KEY_PURPOSE = "registration-codes"
"""The purpose to derive `Registrations.code_key` for (crypto.derived_keys.derive_key)."""
CODE_DIGITS = 6
MAX_CODE_ATTEMPTS = 5
MAX_NAME_LENGTH = 200
# The person just chose a password and proved the mailbox; RFC 8176 "pwd" is what they will
# sign in with from now on.
AMR = ("pwd",)


@dataclass(frozen=True)
class PendingRegistration:
    """A registration waiting for its code: everything the account will be made of."""

    id: str
    email: str
    password_hash: str
    claims: dict[str, Any]
    terms_version: str | None
    """The terms of service accepted, with when; None when none had to be accepted."""
    terms_accepted_at: datetime | None
    code_digest: str
    attempts: int
    """Codes tried so far, right or wrong."""
    flow_id: str
    """The sign-in the registration started from, which goes on once the account exists."""
    created_at: datetime
    expires_at: datetime


class PendingRegistrationStore(Protocol):
    async def add_registration(self, registration: PendingRegistration) -> None:
        """Store it, and forget registrations that had expired by its `created_at`."""

    async def find_registration(
        self, registration_id: str, now: datetime, max_attempts: int
    ) -> PendingRegistration | None:
        """The registration if it has not expired and has tries left; changes nothing."""

    async def count_code_attempt(
        self, registration_id: str, now: datetime, max_attempts: int
    ) -> PendingRegistration | None:
        """Count one try at the code, atomically across nodes, and return the registration
        with the try counted; None if it is unknown, expired or had no tries left."""

    async def take_registration(self, registration_id: str) -> PendingRegistration | None:
        """Delete it and return it; of callers racing for one registration, one gets it."""


@dataclass(frozen=True)
class SignUp:
    """What the registration form asks for."""

    email: str
    password: str
    name: str = ""
    """Optional (OpenID Connect Core §5.1 `name`)."""
    accepted_terms: bool = False


@dataclass(frozen=True)
class CodeSent:
    """A code is on its way (as far as anyone asking can tell): the page to type it in."""

    registration_id: str
    email: str
    flow_id: str


@dataclass(frozen=True)
class Refused:
    """The form needs changing, or the code can no longer be used. Safe to show."""

    message: str


@dataclass(frozen=True)
class WrongCode:
    message: str
    sent: CodeSent
    """The registration, still waiting: the same page is shown again."""


@dataclass(frozen=True)
class Registered:
    verified: Verified
    """The new account, signed in by its registration."""
    flow_id: str


_NOT_AN_ADDRESS = Refused(N_("Enter a valid email address."))
_NAME_TOO_LONG = N_("Use at most %(max)d characters for your name.")
_TERMS = Refused(N_("To create an account, please accept the terms of service."))
DEAD_CODE = Refused(
    N_(
        "This code has expired, was already used, or was typed wrong too many times. "
        "Go back to the application and start again to get a new code."
    )
)
"""A code that no longer works, whether it never existed or is used up (alike on purpose)."""
_ACCOUNT_EXISTS = Refused(
    N_(
        "There already is an account with this email address. Go back to the application and "
        "sign in; if you forgot your password, you can reset it there."
    )
)


@dataclass(frozen=True)
class Registrations:
    users: UserStore
    pending: PendingRegistrationStore
    mailer: BackgroundMailer
    throttle: LoginThrottle
    """Counts registrations per typed address: the limit on mail one address can be sent."""
    passwords: PasswordPolicy
    audit: AuditLog
    code_key: bytes
    """derive_key(master secret, CODE_KEY_PURPOSE)."""
    base_url: str
    """The issuer: mailed links point at `{base_url}{VERIFY_PATH}`."""
    ttl: timedelta
    terms_version: str | None
    """The terms of service a person must accept to register; None: no terms."""
    clock: Callable[[], datetime]

    async def start(self, flow_id: str, form: SignUp) -> CodeSent | Refused:
        """Check the form; if it is acceptable, store the registration and mail the address."""
        try:
            email = normalize_email(form.email)
        except InvalidUser:
            return _NOT_AN_ADDRESS
        problem = self.passwords.problem(form.password, email)
        if problem:
            return Refused(problem)
        name = form.name.strip()
        if len(name) > MAX_NAME_LENGTH:
            return Refused(gettext(_NAME_TOO_LONG) % {"max": MAX_NAME_LENGTH})
        if self.terms_version and not form.accepted_terms:
            return _TERMS
        sent = CodeSent(new_secret(), email, flow_id)
        # Counted whether or not the address has an account, so the limit tells nothing.
        if await self.throttle.admit(_throttle_key(email)):
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            now = self.clock()
            registration = PendingRegistration(
                id=sent.registration_id,
                email=email,
                password_hash=await hash_password(form.password),
                claims={"name": name} if name else {},
                terms_version=self.terms_version,
                terms_accepted_at=now if self.terms_version else None,
                code_digest=self._digest(sent.registration_id, code),
                attempts=0,
                flow_id=flow_id,
                created_at=now,
                expires_at=now + self.ttl,
            )
            await self.pending.add_registration(registration)
            self.mailer.defer(partial(self._mail, email, sent, code), "emailing a registration")
        return sent

    async def waiting(self, registration_id: str) -> CodeSent | None:
        """The registration behind a code page or mailed link, if its code can still be used."""
        registration = await self.pending.find_registration(
            registration_id, self.clock(), MAX_CODE_ATTEMPTS
        )
        if registration is None:
            return None
        return CodeSent(registration.id, registration.email, registration.flow_id)

    async def verify(
        self, registration_id: str, code: str, ip: str | None = None
    ) -> Registered | WrongCode | Refused:
        """With the right code, create the account (its address verified) and sign it in."""
        counted = await self.pending.count_code_attempt(
            registration_id, self.clock(), MAX_CODE_ATTEMPTS
        )
        if counted is None:
            return DEAD_CODE
        typed = "".join(code.split())  # "123 456" as some mail apps show it
        if not hmac.compare_digest(self._digest(registration_id, typed), counted.code_digest):
            return _wrong_code(counted)
        registration = await self.pending.take_registration(registration_id)
        if registration is None:
            return DEAD_CODE
        return await self._create_account(registration, ip)

    async def _create_account(
        self, registration: PendingRegistration, ip: str | None
    ) -> Registered | Refused:
        request = UserRequest(registration.email, email_verified=True, claims=registration.claims)
        user = new_user(request, registration.password_hash, self.clock())
        try:
            await self.users.add_user(user)
        except AlreadyExists:
            return _ACCOUNT_EXISTS  # registered meanwhile, by another registration
        await self.audit.record(EventType.EMAIL_VERIFIED, user.sub, ip)
        terms = (
            {
                "terms_version": registration.terms_version,
                "terms_accepted_at": registration.terms_accepted_at.isoformat(),
            }
            if registration.terms_version and registration.terms_accepted_at
            else {}
        )
        await self.audit.record(EventType.ACCOUNT_REGISTERED, user.sub, ip, **terms)
        return Registered(Verified(user.sub, AMR), registration.flow_id)

    async def _mail(self, email: str, sent: CodeSent, code: str) -> None:
        """Run after the answer: the lookup decides the mail, never the answer or its timing."""
        exists = await self.users.find_user_by_email(email) is not None
        message = self._account_exists_mail(email) if exists else self._code_mail(sent, code)
        await self.mailer.send(message)

    def _code_mail(self, sent: CodeSent, code: str) -> Message:
        """Like every mail here, composed in the context (language, brand) of the request."""
        link = f"{self.base_url}{VERIFY_PATH}?" + urlencode(
            {"registration": sent.registration_id, "code": code}
        )
        text = gettext(
            "Your code is %(code)s\n\n"
            "Type it on the page where you are creating your account, "
            "or open this link to confirm your email address:\n\n%(link)s\n\n"
            "The code works for the next %(lifetime)s.\n\n"
            "If you did not ask to create an account, ignore this email: "
            "without the code, no account is created.\n"
        ) % {"code": code, "link": link, "lifetime": lifetime_in_words(self.ttl)}
        subject = gettext("Confirm your email address for %(brand)s")
        return Message(to=sent.email, subject=subject % {"brand": brand_name()}, text=text)

    @staticmethod
    def _account_exists_mail(email: str) -> Message:
        text = gettext(
            "Someone, perhaps you, tried to create a new account with this email address. "
            "You already have an account, so nothing was created and nothing changed.\n\n"
            "If it was you, go back to the application and sign in. If you forgot your "
            'password, choose "Forgot your password?" on the sign-in page.\n\n'
            "If it was not you, you can ignore this email.\n"
        )
        subject = gettext("You already have an account with %(brand)s")
        return Message(to=email, subject=subject % {"brand": brand_name()}, text=text)

    def _digest(self, registration_id: str, code: str) -> str:
        """Bound to the registration, so equal codes of two registrations differ when stored."""
        message = f"{registration_id}:{code}".encode()
        return hmac.new(self.code_key, message, hashlib.sha256).hexdigest()


def _wrong_code(counted: PendingRegistration) -> WrongCode | Refused:
    """The same page again while tries are left; the last wrong try ends the registration."""
    left = MAX_CODE_ATTEMPTS - counted.attempts
    if left <= 0:
        return DEAD_CODE
    message = ngettext(
        "That code is not right. Check the email and try again (%(num)d try left).",
        "That code is not right. Check the email and try again (%(num)d tries left).",
        left,
    )
    return WrongCode(message % {"num": left}, CodeSent(counted.id, counted.email, counted.flow_id))


def _throttle_key(email: str) -> str:
    return f"register:{email}"
