"""Sign-in policies: which methods may start a sign-in, which count as a second factor, and
whether two factors are required, per client with the server's settings as the default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ciam_oidc.protocol.clients import Client


@dataclass(frozen=True)
class SignInPolicy:
    first_factors: tuple[str, ...]
    second_factors: tuple[str, ...]
    require_mfa: bool
    registration: bool = True
    """Whether a person without an account may create one with the registration form, which
    proves the address by mail."""
    new_accounts: bool = True
    """Whether a sign-in may create an account at all: with the form above, or just in time
    at a first sign-in through an upstream identity provider, which needs no mail."""


@dataclass(frozen=True)
class Policies:
    default: SignInPolicy
    can_mail: bool = True
    """Registration verifies an address by mail: without a way to send it, nobody registers."""

    @classmethod
    def from_settings(
        cls,
        first: Sequence[str],
        second: Sequence[str],
        require_mfa: bool,
        registration: bool = True,
        can_mail: bool = True,
    ) -> Policies:
        policy = SignInPolicy(tuple(first), tuple(second), require_mfa, registration, registration)
        return cls(policy, can_mail)

    def for_client(self, client: Client | None) -> SignInPolicy:
        if client is None:
            return replace(self.default, registration=self.default.registration and self.can_mail)
        new_accounts = (
            self.default.new_accounts
            if client.allow_registration is None
            else client.allow_registration
        )
        return SignInPolicy(
            first_factors=client.first_factors or self.default.first_factors,
            second_factors=client.second_factors or self.default.second_factors,
            require_mfa=(
                self.default.require_mfa if client.require_mfa is None else client.require_mfa
            ),
            registration=self.can_mail and new_accounts,
            new_accounts=new_accounts,
        )
