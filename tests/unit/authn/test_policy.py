"""Per-client sign-in policies fall back to the server's settings choice by choice."""

from __future__ import annotations

from datetime import UTC, datetime

from ciam_oidc.authn.policy import Policies, SignInPolicy
from ciam_oidc.protocol.clients import ClientRequest, register_client

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SERVER = Policies.from_settings(["password", "magic_link"], ["totp"], require_mfa=False)


def client(**policy: object) -> object:
    registered, _ = register_client(
        ClientRequest(name="App", redirect_uris=("https://app.example/cb",), **policy),  # type: ignore[arg-type]
        NOW,
    )
    return registered


def test_without_a_client_or_a_client_policy_the_server_default_applies() -> None:
    expected = SignInPolicy(("password", "magic_link"), ("totp",), False)
    assert SERVER.for_client(None) == expected
    assert SERVER.for_client(client()) == expected  # type: ignore[arg-type]


def test_each_choice_a_client_makes_overrides_only_that_choice() -> None:
    strict = SERVER.for_client(client(require_mfa=True))  # type: ignore[arg-type]
    assert strict == SignInPolicy(("password", "magic_link"), ("totp",), True)
    passkeys = SERVER.for_client(client(first_factors=("passkey",)))  # type: ignore[arg-type]
    assert passkeys.first_factors == ("passkey",)
    assert passkeys.second_factors == ("totp",)
    relaxed = Policies.from_settings(["password"], ["totp"], require_mfa=True)
    assert not relaxed.for_client(client(require_mfa=False)).require_mfa  # type: ignore[arg-type]


def test_nobody_registers_where_no_mail_can_verify_an_address() -> None:
    mailless = Policies.from_settings(["password"], ["totp"], False, True, can_mail=False)
    assert not mailless.for_client(None).registration
    assert not mailless.for_client(client(allow_registration=True)).registration  # type: ignore[arg-type]
    assert SERVER.for_client(client(allow_registration=False)).registration is False  # type: ignore[arg-type]
    assert SERVER.for_client(None).registration
