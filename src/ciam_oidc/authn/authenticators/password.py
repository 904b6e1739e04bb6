"""Email and password: the first factor most customers know.

Unknown accounts, disabled accounts and wrong passwords get the same answer after the same
amount of work, so the form cannot be used to find out who has an account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ciam_oidc.authn.authenticators import Failed, NotResponsible, Result, Verified
from ciam_oidc.crypto.passwords import hash_password, verify_password
from ciam_oidc.protocol.ports import UserStore
from ciam_oidc.protocol.users import InvalidUser, normalize_email

_WRONG = Failed("The email address or password is incorrect.")


@dataclass
class PasswordAuthenticator:
    users: UserStore
    _decoy_hash: str | None = None
    id: str = "password"

    async def verify(self, form: Mapping[str, str]) -> Result:
        if "password" not in form:
            return NotResponsible()
        password = form["password"]
        try:
            user = await self.users.find_user_by_email(normalize_email(form.get("email", "")))
        except InvalidUser:
            user = None
        if user is None or user.password_hash is None or user.disabled:
            await verify_password(password, await self._decoy())
            return _WRONG
        matches, upgraded = await verify_password(password, user.password_hash)
        if not matches:
            return _WRONG
        if upgraded:
            await self.users.set_password_hash(user.sub, upgraded)
        return Verified(sub=user.sub, amr=("pwd",))

    async def _decoy(self) -> str:
        """A real argon2id hash to verify against, so a miss costs what a hit costs."""
        if self._decoy_hash is None:
            self._decoy_hash = await hash_password("decoy password for unknown accounts")
        return self._decoy_hash
