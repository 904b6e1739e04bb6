"""A code from an authenticator app (RFC 6238), or a recovery code: a second factor only.

A six-digit code identifies nobody and a million guesses exhaust it, so the method runs only
once another factor named the account, and every attempt is counted against that account
before anything is checked. A code is accepted once: its time step is claimed in the database,
so a code read over a shoulder or replayed to another node is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ciam_oidc.authn.authenticators import Attempt, Factor, Failed, Prompt, Result, Verified
from ciam_oidc.authn.recovery_codes import RecoveryCodes
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.authn.totp_codes import matching_step, normalise_code
from ciam_oidc.authn.totp_store import TotpStore
from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.i18n import N_

_WRONG = Failed(N_("That code is not valid."))
_NOBODY = Failed(N_("Sign in another way first, then enter the code from your authenticator app."))
# RFC 8176 §2: "otp", a one-time password; a recovery code is one too.
_AMR = ("otp",)


@dataclass
class TotpAuthenticator:
    store: TotpStore
    box: SecretBox
    """Opens the secrets sealed by TotpEnrolment (purpose "totp")."""
    recovery_codes: RecoveryCodes
    throttle: LoginThrottle
    clock: Callable[[], datetime]
    id: str = "totp"
    factors: frozenset[Factor] = frozenset({Factor.SECOND})

    async def enrolled(self, sub: str) -> bool:
        credential = await self.store.find_totp(sub)
        return credential is not None and credential.secret is not None

    async def begin(self, attempt: Attempt) -> Prompt:
        return Prompt("methods/totp.html", {})

    async def verify(self, attempt: Attempt, form: Mapping[str, str]) -> Result:
        sub = attempt.sub
        if sub is None:
            return _NOBODY
        admission = await self.throttle.admit(f"totp:{sub}")
        if not admission:
            return Failed(admission.message)
        recovery_code = form.get("recovery_code", "").strip()
        if recovery_code:
            accepted = await self._use_recovery_code(sub, recovery_code)
        else:
            accepted = await self._use_code(sub, form.get("code", ""))
        if not accepted:
            await self.throttle.failed(admission, sub)
            return _WRONG
        await self.throttle.succeeded(f"totp:{sub}")
        return Verified(sub=sub, amr=_AMR)

    async def _use_code(self, sub: str, typed: str) -> bool:
        code = normalise_code(typed)
        credential = await self.store.find_totp(sub)
        if code is None or credential is None or credential.secret is None:
            return False
        secret = self.box.open(credential.secret, sub).decode()
        step = matching_step(secret, code, self.clock())
        return step is not None and await self.store.accept_step(sub, credential.secret, step)

    async def _use_recovery_code(self, sub: str, typed: str) -> bool:
        return await self.store.use_recovery_code(sub, self.recovery_codes.digest(sub, typed))
