"""Passkeys as a sign-in method: alone (username-less), or as the second factor.

Alone, a passkey must have verified the user (a PIN or biometric): possession of the key and
that check are two factors in one. As a second factor the account is known and the first
factor done, so presence is enough and only that account's passkeys are offered or accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ciam_oidc.authn.authenticators import Attempt, Factor, Failed, Prompt, Result, Verified
from ciam_oidc.authn.passkeys import Assertion, PasskeyRejected, Passkeys
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.i18n import N_

_START_AGAIN = Failed(N_("This sign-in request has expired. Start again."))


@dataclass
class PasskeyAuthenticator:
    passkeys: Passkeys
    throttle: LoginThrottle
    id: str = "passkey"
    factors: frozenset[Factor] = frozenset({Factor.FIRST, Factor.SECOND})

    async def enrolled(self, sub: str) -> bool:
        return bool(await self.passkeys.list(sub))

    async def begin(self, attempt: Attempt) -> Prompt:
        request = await self.passkeys.authentication_options(attempt.sub, attempt.pending)
        kept = {"challenge": request.challenge, "expires_at": request.expires_at.isoformat()}
        return Prompt(
            "methods/passkey.html",
            {"options_json": request.options_json},
            pending=None if request.reused else kept,
        )

    async def verify(self, attempt: Attempt, form: Mapping[str, str]) -> Result:
        challenge = attempt.pending.get("challenge")
        if not isinstance(challenge, str):
            return _START_AGAIN
        try:
            credential = self.passkeys.read_assertion(form.get("credential", ""))
        except PasskeyRejected as rejected:
            return Failed(str(rejected))
        # Per account once one is identified, else per credential: the same limit either way.
        throttle_key = (
            f"passkey:sub:{attempt.sub}"
            if attempt.sub is not None
            else f"passkey:credential:{credential.id}"
        )
        admission = await self.throttle.admit(throttle_key)
        if not admission:
            return Failed(admission.message)
        try:
            assertion = await self.passkeys.authenticate(
                credential,
                challenge,
                attempt.sub,
                require_user_verification=attempt.sub is None,
            )
        except PasskeyRejected as rejected:
            await self.throttle.failed(admission, attempt.sub)
            return Failed(str(rejected))
        await self.throttle.succeeded(throttle_key)
        return Verified(sub=assertion.passkey.sub, amr=_amr(assertion))


def _amr(assertion: Assertion) -> tuple[str, ...]:
    """RFC 8176 §2: proof of possession of a hardware key (one device) or a software key (a
    synced passkey), "user" for the presence test, and "mfa" when the authenticator verified
    the user as well."""
    key = "swk" if assertion.passkey.backup_eligible else "hwk"
    return (key, "user", *(("mfa",) if assertion.user_verified else ()))
