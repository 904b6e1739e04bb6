"""Email and password: the first factor most customers know.

Unknown accounts, disabled accounts and wrong passwords get the same answer after the same
amount of work, so the form cannot be used to find out who has an account; and failures are
counted per typed address, so nobody can guess one account's password at scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ciam_oidc.authn.authenticators import Attempt, Factor, Failed, Prompt, Result, Verified
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.passwords import hash_password, verify_password
from ciam_oidc.i18n import N_
from ciam_oidc.protocol.ports import UserStore
from ciam_oidc.protocol.users import InvalidUser, User, normalize_email

_WRONG = Failed(N_("The email address or password is incorrect."))


@dataclass
class PasswordAuthenticator:
    users: UserStore
    throttle: LoginThrottle
    _decoy_hash: str | None = None
    id: str = "password"
    factors: frozenset[Factor] = frozenset({Factor.FIRST, Factor.SECOND})

    async def enrolled(self, sub: str) -> bool:
        user = await self.users.get_user(sub)
        return user is not None and user.password_hash is not None

    async def begin(self, attempt: Attempt) -> Prompt:
        context = {"email": attempt.login_hint, "identified": attempt.sub is not None}
        return Prompt("methods/password.html", context)

    async def verify(self, attempt: Attempt, form: Mapping[str, str]) -> Result:
        """As a second factor the account is known: only its password is asked for."""
        throttle_key, identifier = self._claimed_account(attempt, form)
        admission = await self.throttle.admit(throttle_key)
        if not admission:
            return Failed(admission.message)
        if attempt.sub is not None:
            claimed = await self.users.get_user(attempt.sub)
        else:
            claimed = await self.users.find_user_by_email(identifier) if identifier else None
        user = await self._verified_user(claimed, form.get("password", ""))
        if user is None:
            sub = claimed.sub if claimed else None
            await self.throttle.failed(admission, sub)
            return Failed(_WRONG.message, sub=sub)
        await self.throttle.succeeded(throttle_key)
        return Verified(sub=user.sub, amr=("pwd",))

    @staticmethod
    def _claimed_account(attempt: Attempt, form: Mapping[str, str]) -> tuple[str, str | None]:
        """The throttle key and the normalized address (None when not an address at all)."""
        if attempt.sub is not None:
            return f"sub:{attempt.sub}", None
        try:
            identifier = normalize_email(form.get("email", ""))
        except InvalidUser:
            # Still counted, and verified against the decoy, like a miss.
            return form.get("email", "").strip().lower(), None
        return identifier, identifier

    async def _verified_user(self, user: User | None, password: str) -> User | None:
        if user is None or user.password_hash is None or user.disabled:
            await verify_password(password, await self._decoy())
            return None
        matches, upgraded = await verify_password(password, user.password_hash)
        if not matches:
            return None
        if upgraded:
            await self.users.set_password_hash(user.sub, upgraded)
        return user

    async def _decoy(self) -> str:
        """A real argon2id hash to verify against, so a miss costs what a hit costs."""
        if self._decoy_hash is None:
            self._decoy_hash = await hash_password("decoy password for unknown accounts")
        return self._decoy_hash
