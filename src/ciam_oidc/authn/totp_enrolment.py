"""Adding an authenticator app to an account, and managing its recovery codes.

The new secret is kept sealed in the database as *pending* until the person types a first
code from the app: that proves the app holds the secret before sign-in depends on it, and lets
the confirmation reach any node. Recovery codes are returned once, in clear, and stored only as
digests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import pyotp
import segno

from ciam_oidc.authn.recovery_codes import RecoveryCodes
from ciam_oidc.authn.totp_codes import DIGITS, TIME_STEP_SECONDS, matching_step, normalise_code
from ciam_oidc.authn.totp_store import TotpStore
from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.i18n import gettext


@dataclass(frozen=True)
class TotpSetup:
    """What the enrolment page shows: the secret as a QR code and typed by hand."""

    secret: str
    """Base32, as authenticator apps accept it for manual entry."""
    uri: str
    """The otpauth:// provisioning URI the QR code encodes."""
    qr_svg: str
    """An inline <svg> element (no XML declaration) that fills the width it is given."""


class TotpStatus(NamedTuple):
    enrolled: bool
    recovery_codes_left: int


class TotpEnrolment:
    def __init__(
        self,
        store: TotpStore,
        box: SecretBox,
        recovery_codes: RecoveryCodes,
        issuer_name: str,
        clock: Callable[[], datetime],
    ) -> None:
        """`box` seals TOTP secrets (purpose "totp"); `issuer_name` is what apps list the
        account under."""
        self._store = store
        self._box = box
        self._recovery_codes = recovery_codes
        self._issuer_name = issuer_name
        self._clock = clock

    async def start(self, sub: str, account_name: str) -> TotpSetup:
        """A new secret, pending until confirmed; it replaces any earlier pending one."""
        # 160 bits, the key length RFC 4226 §4 recommends for HMAC-SHA1.
        secret = pyotp.random_base32()
        await self._store.set_pending_secret(sub, self._box.seal(secret.encode(), sub))
        return self._setup(secret, account_name)

    async def pending(self, sub: str, account_name: str) -> TotpSetup | None:
        """The enrolment already under way, so a reload shows the secret the app scanned."""
        credential = await self._store.find_totp(sub)
        if credential is None or credential.pending_secret is None:
            return None
        return self._setup(self._box.open(credential.pending_secret, sub).decode(), account_name)

    async def confirm(self, sub: str, code: str) -> list[str] | None:
        """The first recovery codes once `code` matches the pending secret; None otherwise.

        The confirmed secret replaces an older one, and the code's step counts as used.
        """
        credential = await self._store.find_totp(sub)
        typed = normalise_code(code)
        if credential is None or credential.pending_secret is None or typed is None:
            return None
        secret = self._box.open(credential.pending_secret, sub).decode()
        now = self._clock()
        step = matching_step(secret, typed, now)
        if step is None:
            return None
        codes = RecoveryCodes.new_set()
        confirmed = await self._store.confirm_pending_secret(
            sub, credential.pending_secret, step, now, self._digests(sub, codes)
        )
        return codes if confirmed else None

    async def regenerate_recovery_codes(self, sub: str) -> list[str] | None:
        """A new set of recovery codes (the old ones stop working); None if not enrolled."""
        codes = RecoveryCodes.new_set()
        replaced = await self._store.replace_recovery_codes(sub, self._digests(sub, codes))
        return codes if replaced else None

    async def remove(self, sub: str) -> None:
        await self._store.delete_totp(sub)

    async def status(self, sub: str) -> TotpStatus:
        credential = await self._store.find_totp(sub)
        if credential is None or credential.secret is None:
            return TotpStatus(enrolled=False, recovery_codes_left=0)
        return TotpStatus(True, await self._store.count_recovery_codes(sub))

    def _setup(self, secret: str, account_name: str) -> TotpSetup:
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=TIME_STEP_SECONDS)
        uri = totp.provisioning_uri(name=account_name, issuer_name=self._issuer_name)
        # No width/height, only a viewBox, so the code scales to its container; a white
        # background keeps it scannable on dark pages.
        svg = segno.make(uri, error="m").svg_inline(
            omitsize=True,
            dark="#000",
            light="#fff",
            svgclass="qr-code",
            title=gettext("QR code to scan with your authenticator app"),
        )
        return TotpSetup(secret=secret, uri=uri, qr_svg=svg)

    def _digests(self, sub: str, codes: list[str]) -> list[str]:
        return [self._recovery_codes.digest(sub, code) for code in codes]
