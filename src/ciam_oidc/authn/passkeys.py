"""Passkeys (WebAuthn Level 3): adding them to an account, and checking what they sign.

py_webauthn checks each response against the challenge, the RP ID hash, the origin, the
signature and the sign counter; this module decides what is asked for and what is kept:

- A passkey is a discoverable credential (`residentKey: required`), so a person can sign in
  without typing an address, and the user handle it returns is the account's `sub` (opaque, no
  personal data), which must agree with the account the credential is registered to.
- User verification is *required* when a passkey is created: a passkey is meant to sign in on
  its own, which counts only if the authenticator checked a PIN or biometric; one that cannot
  would be refused at every username-less sign-in, so it is refused at the start instead.
- Every challenge is stored server-side (as a digest) when issued and deleted when used, so it
  works once, on whichever node receives the answer, and not after it expires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRequestOptions,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ciam_oidc.i18n import N_, gettext

CHALLENGE_LIFETIME = timedelta(minutes=5)
MAX_NAME_LENGTH = 64
# WebAuthn Level 3 §7.1: a relying party refuses credential ids longer than this.
_MAX_CREDENTIAL_ID_BYTES = 1023

_UNREADABLE = N_("The passkey's answer could not be read. Try again.")
_START_AGAIN = N_("This request has expired or was already used. Start again.")
_NOT_ACCEPTED = N_("That passkey could not be used. Try again, or use another way to sign in.")
_NOT_VERIFIED = N_("The passkey could not be verified. Try again.")
_REGISTERED = N_("This passkey is already registered.")
_UNNAMED = N_("Give the passkey a name.")


@dataclass(frozen=True)
class Passkey:
    credential_id: str
    """base64url, as browsers and py_webauthn spell it."""
    sub: str
    public_key: bytes
    """COSE_Key (RFC 9052 §7) from the attested credential data."""
    sign_count: int
    name: str
    transports: tuple[str, ...]
    backup_eligible: bool
    """Synced to other devices by a provider (a software key), or bound to one device."""
    created_at: datetime
    last_used_at: datetime | None = None


class PasskeyStore(Protocol):
    async def add_passkey(self, passkey: Passkey) -> bool:
        """False when the credential id is registered already, to anyone."""

    async def find_passkey(self, credential_id: str) -> Passkey | None: ...

    async def list_passkeys(self, sub: str) -> Sequence[Passkey]: ...

    async def record_use(self, credential_id: str, sign_count: int, now: datetime) -> bool:
        """Store the new counter atomically across nodes; False unless it moved forward (or
        both are 0, for authenticators that keep no counter)."""

    async def rename_passkey(self, sub: str, credential_id: str, name: str) -> bool: ...

    async def remove_passkey(self, sub: str, credential_id: str) -> bool: ...

    async def save_challenge(self, digest: str, sub: str | None, expires_at: datetime) -> None: ...

    async def consume_challenge(self, digest: str, sub: str | None, now: datetime) -> bool:
        """Delete the challenge; True only for the one caller that found it unexpired."""


class PasskeyRejected(Exception):
    """A ceremony failed; the message is safe to show and says nothing about other accounts."""


@dataclass(frozen=True)
class AuthenticationRequest:
    options_json: str
    """For `navigator.credentials.get`, safe to embed in a `<script type=application/json>`."""
    challenge: str
    """base64url; the caller keeps it with the sign-in in progress until the answer comes."""
    expires_at: datetime
    reused: bool = False
    """The caller's live challenge was offered again: nothing new to keep."""


@dataclass(frozen=True)
class Assertion:
    """A verified sign-in with a passkey."""

    passkey: Passkey
    user_verified: bool


class Passkeys:
    def __init__(
        self,
        store: PasskeyStore,
        rp_id: str,
        rp_name: str,
        origins: Sequence[str],
        clock: Callable[[], datetime],
        challenge_lifetime: timedelta = CHALLENGE_LIFETIME,
    ) -> None:
        self._store = store
        self._rp_id = rp_id
        self._rp_name = rp_name
        self._origins = [*origins]
        self._clock = clock
        self._lifetime = challenge_lifetime

    async def registration_options(self, sub: str, user_name: str, display_name: str) -> str:
        """Options for `navigator.credentials.create`, their challenge bound to `sub`."""
        options = generate_registration_options(
            rp_id=self._rp_id,
            rp_name=self._rp_name,
            user_name=user_name,
            user_id=sub.encode(),
            user_display_name=display_name,
            timeout=self._timeout_ms(),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            # One authenticator is registered once (WebAuthn §5.4, excludeCredentials).
            exclude_credentials=_descriptors(await self._store.list_passkeys(sub)),
        )
        return await self._issue(options, sub)

    async def register(self, sub: str, credential_json: str, name: str = "") -> Passkey:
        """Verify the answer to `registration_options(sub, ...)` and keep the new passkey."""
        try:
            credential = parse_registration_credential_json(credential_json)
            challenge = parse_client_data_json(credential.response.client_data_json).challenge
        except (WebAuthnException, ValueError):
            raise PasskeyRejected(_UNREADABLE) from None
        now = self._clock()
        if not await self._store.consume_challenge(_digest(challenge), sub, now):
            raise PasskeyRejected(_START_AGAIN)
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self._rp_id,
                expected_origin=self._origins,
                require_user_verification=True,
            )
        except WebAuthnException:
            raise PasskeyRejected(_NOT_VERIFIED) from None
        if len(verified.credential_id) > _MAX_CREDENTIAL_ID_BYTES:
            raise PasskeyRejected(_NOT_VERIFIED)
        passkey = Passkey(
            credential_id=bytes_to_base64url(verified.credential_id),
            sub=sub,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            # Stored as it reads now, in the language of the person adding it.
            name=_label(name) or gettext("Passkey created %(date)s") % {"date": f"{now:%Y-%m-%d}"},
            transports=tuple(transport.value for transport in credential.response.transports or ()),
            backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
            created_at=now,
        )
        # WebAuthn §7.1: a credential id registered already, to anyone, is refused.
        if not await self._store.add_passkey(passkey):
            raise PasskeyRejected(_REGISTERED)
        return passkey

    async def list(self, sub: str) -> Sequence[Passkey]:
        return await self._store.list_passkeys(sub)

    async def rename(self, sub: str, credential_id: str, name: str) -> bool:
        """False when `sub` has no such passkey; a blank name is refused."""
        label = _label(name)
        if not label:
            raise PasskeyRejected(_UNNAMED)
        return await self._store.rename_passkey(sub, credential_id, label)

    async def remove(self, sub: str, credential_id: str) -> bool:
        """False when `sub` has no such passkey (someone else's is not theirs to remove)."""
        return await self._store.remove_passkey(sub, credential_id)

    async def authentication_options(
        self, sub: str | None, kept: Mapping[str, Any] | None = None
    ) -> AuthenticationRequest:
        """Options for `navigator.credentials.get`.

        Without `sub`, any discoverable passkey may answer (and browsers may offer them in the
        address field's autofill); with it, only that account's passkeys are allowed. `kept` is
        what an earlier call's caller kept: while its challenge has at least half its lifetime
        left it is offered again, so showing a page again (a reload, a wrong password) stores
        nothing new.
        """
        now = self._clock()
        reusable = _reusable(kept, now + self._lifetime / 2)
        allowed = _descriptors(await self._store.list_passkeys(sub)) if sub is not None else []
        options = generate_authentication_options(
            rp_id=self._rp_id,
            timeout=self._timeout_ms(),
            allow_credentials=allowed,
            user_verification=UserVerificationRequirement.REQUIRED
            if sub is None
            else UserVerificationRequirement.PREFERRED,
            challenge=base64url_to_bytes(reusable[0]) if reusable else None,
        )
        if reusable:
            options_json = _script_safe(options_to_json(options))
            return AuthenticationRequest(options_json, reusable[0], reusable[1], reused=True)
        return AuthenticationRequest(
            await self._issue(options, sub),
            bytes_to_base64url(options.challenge),
            now + self._lifetime,
        )

    @staticmethod
    def read_assertion(credential_json: str) -> AuthenticationCredential:
        """The browser's answer to `navigator.credentials.get`, parsed but not yet verified."""
        try:
            return parse_authentication_credential_json(credential_json)
        except (WebAuthnException, ValueError):
            raise PasskeyRejected(_UNREADABLE) from None

    async def authenticate(
        self,
        credential: AuthenticationCredential,
        challenge: str,
        sub: str | None,
        *,
        require_user_verification: bool,
    ) -> Assertion:
        """Verify an answer to `authentication_options(sub)` whose challenge was `challenge`.

        With `sub`, only that account's passkeys pass. The counter is stored only when it moved
        forward: a counter that did not is a sign of a cloned authenticator (WebAuthn §6.1.1).
        """
        expected = base64url_to_bytes(challenge)
        now = self._clock()
        if not await self._store.consume_challenge(_digest(expected), sub, now):
            raise PasskeyRejected(_START_AGAIN)
        passkey = await self._store.find_passkey(credential.id)
        if passkey is None or (sub is not None and passkey.sub != sub):
            raise PasskeyRejected(_NOT_ACCEPTED)
        # WebAuthn §7.2: the user handle, when given, must name the credential's owner.
        handle = credential.response.user_handle
        if handle is not None and handle != passkey.sub.encode():
            raise PasskeyRejected(_NOT_ACCEPTED)
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=expected,
                expected_rp_id=self._rp_id,
                expected_origin=self._origins,
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=require_user_verification,
            )
        except WebAuthnException:
            raise PasskeyRejected(_NOT_ACCEPTED) from None
        if not await self._store.record_use(passkey.credential_id, verified.new_sign_count, now):
            raise PasskeyRejected(_NOT_ACCEPTED)
        used = replace(passkey, sign_count=verified.new_sign_count, last_used_at=now)
        return Assertion(used, verified.user_verified)

    async def _issue(
        self,
        options: PublicKeyCredentialCreationOptions | PublicKeyCredentialRequestOptions,
        sub: str | None,
    ) -> str:
        expires_at = self._clock() + self._lifetime
        await self._store.save_challenge(_digest(options.challenge), sub, expires_at)
        return _script_safe(options_to_json(options))

    def _timeout_ms(self) -> int:
        return int(self._lifetime.total_seconds() * 1000)


def _reusable(kept: Mapping[str, Any] | None, until: datetime) -> tuple[str, datetime] | None:
    """The kept challenge and its expiry, if it stays valid past `until`."""
    challenge, expires = (kept or {}).get("challenge"), (kept or {}).get("expires_at")
    if not isinstance(challenge, str) or not isinstance(expires, str):
        return None
    try:
        expires_at = datetime.fromisoformat(expires)
    except ValueError:
        return None
    return (challenge, expires_at) if expires_at > until else None


def _digest(challenge: bytes) -> str:
    """Challenges are stored hashed, like every other single-use value."""
    return hashlib.sha256(challenge).hexdigest()


def _descriptors(passkeys: Sequence[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(value) for value in passkey.transports],
        )
        for passkey in passkeys
    ]


def _label(name: str) -> str:
    return " ".join(name.split())[:MAX_NAME_LENGTH]


def _script_safe(options_json: str) -> str:
    """JSON a page may place inside a <script> element as is: `<`, `>` and `&` occur only in
    strings in JSON, where their \\u escapes mean the same, and no `</script>` can end it."""
    return options_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
