"""The storage port behind authenticator-app (TOTP) sign-in and its recovery codes.

Every check that must hold across nodes is one guarded statement in the store, so two nodes
receiving the same code, or the same recovery code, at the same moment cannot both accept it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class TotpCredential:
    """An account's authenticator-app secrets, sealed (SecretBox, bound to the sub)."""

    sub: str
    secret: bytes | None
    """The confirmed secret; None until a first code confirmed an enrolment."""
    pending_secret: bytes | None
    """A secret shown for enrolment and not yet confirmed by a code from the app."""
    last_step: int
    """The newest time step a code was accepted for (RFC 6238 §5.2 replay protection)."""
    confirmed_at: datetime | None


class TotpStore(Protocol):
    async def find_totp(self, sub: str) -> TotpCredential | None: ...

    async def set_pending_secret(self, sub: str, sealed: bytes) -> None:
        """Remember a new enrolment's secret, replacing any earlier unconfirmed one."""

    async def confirm_pending_secret(
        self,
        sub: str,
        sealed_pending: bytes,
        step: int,
        now: datetime,
        recovery_digests: Sequence[str],
    ) -> bool:
        """Make `sealed_pending` the account's secret, with `step` used and these recovery
        codes replacing all others; False if that pending secret is no longer there."""

    async def accept_step(self, sub: str, sealed_secret: bytes, step: int) -> bool:
        """Record `step` as used, only if the secret is still `sealed_secret` and no code for
        this step or a later one was accepted; False otherwise."""

    async def use_recovery_code(self, sub: str, digest: str) -> bool:
        """Consume one recovery code; True for exactly one of any number of parallel uses."""

    async def replace_recovery_codes(self, sub: str, digests: Sequence[str]) -> bool:
        """Replace all recovery codes of a confirmed credential; False when there is none."""

    async def count_recovery_codes(self, sub: str) -> int: ...

    async def delete_totp(self, sub: str) -> None:
        """Forget the credential, the pending secret and the recovery codes."""
