"""Which authentication context classes a sign-in satisfies, and what a request requires."""

from __future__ import annotations

import pytest

from ciam_oidc.protocol.acr import (
    MULTI_FACTOR,
    PHISHING_RESISTANT,
    PHISHING_RESISTANT_HARDWARE,
    SINGLE_FACTOR,
    acr_requirement,
    combined_amr,
    reported_acr,
    satisfies,
)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((("pwd",),), ("pwd",)),
        ((("pwd",), ("otp",)), ("pwd", "otp", "mfa")),
        ((("pwd",), ("email",)), ("pwd", "email", "mfa")),
        # Two things of one kind are not two factors (NIST SP 800-63B §4).
        ((("otp",), ("email",)), ("otp", "email")),
        ((("pwd",), ("pwd",)), ("pwd",)),
        ((("swk", "user", "mfa"),), ("swk", "user", "mfa")),
        ((("pwd", "otp", "mfa"), ("hwk", "user")), ("pwd", "otp", "hwk", "user", "mfa")),
        # Through an upstream: "fed" is one factor, unless the upstream's own methods are known.
        ((("fed",),), ("fed",)),
        ((("fed", "pwd"),), ("fed", "pwd")),
        ((("fed", "pwd", "otp"),), ("fed", "pwd", "otp", "mfa")),
        ((("fed",), ("otp",)), ("fed", "otp", "mfa")),
        ((("fed", "pwd"), ("otp",)), ("fed", "pwd", "otp", "mfa")),
    ],
)
def test_steps_add_up_to_mfa_only_across_kinds(
    parts: tuple[tuple[str, ...], ...], expected: tuple[str, ...]
) -> None:
    assert combined_amr(*parts) == expected


def test_classes_are_satisfied_by_what_was_done() -> None:
    password = ("pwd",)
    two_step = ("pwd", "otp", "mfa")
    synced_passkey = ("swk", "user", "mfa")
    device_passkey = ("hwk", "user")
    assert satisfies(SINGLE_FACTOR, password)
    assert not satisfies(MULTI_FACTOR, password)
    assert satisfies(MULTI_FACTOR, two_step)
    assert not satisfies(PHISHING_RESISTANT, two_step)
    assert satisfies(PHISHING_RESISTANT, synced_passkey)
    assert not satisfies(PHISHING_RESISTANT_HARDWARE, synced_passkey)
    assert satisfies(PHISHING_RESISTANT_HARDWARE, device_passkey)
    assert not satisfies(MULTI_FACTOR, device_passkey)
    assert not satisfies("urn:unknown", two_step)


def test_the_reported_class_is_the_first_requested_one_met_never_an_unmet_one() -> None:
    two_step = ("pwd", "otp", "mfa")
    assert reported_acr(two_step, (PHISHING_RESISTANT, MULTI_FACTOR)) == MULTI_FACTOR
    assert reported_acr(two_step, ()) == MULTI_FACTOR
    assert reported_acr(("pwd",), (MULTI_FACTOR,)) == SINGLE_FACTOR
    assert reported_acr(("swk", "user"), (PHISHING_RESISTANT,)) == PHISHING_RESISTANT


def test_acr_values_are_preferred_and_unknown_ones_ignored() -> None:
    requirement = acr_requirement(("urn:other", MULTI_FACTOR), None, require_mfa=False)
    assert requirement.required == ()
    assert requirement.preferred == (MULTI_FACTOR,)
    assert requirement.preference_unmet(("pwd",))
    assert not requirement.preference_unmet(("pwd", "otp", "mfa"))


def test_an_essential_acr_claim_is_required_with_value_or_values() -> None:
    claims = {"id_token": {"acr": {"essential": True, "values": [PHISHING_RESISTANT, "2"]}}}
    requirement = acr_requirement((), claims, require_mfa=False)
    assert requirement.unmet(("pwd",)) == (frozenset({PHISHING_RESISTANT, "2"}),)
    assert requirement.unmet(("pwd", "otp", "mfa")) == ()
    single = {"id_token": {"acr": {"essential": True, "value": "urn:unknown"}}}
    assert acr_requirement((), single, require_mfa=False).unmet(("pwd", "otp", "mfa"))


def test_a_voluntary_acr_claim_only_adds_a_preference() -> None:
    claims = {"id_token": {"acr": {"values": [MULTI_FACTOR]}}}
    requirement = acr_requirement((), claims, require_mfa=False)
    assert requirement.required == ()
    assert requirement.preferred == (MULTI_FACTOR,)


def test_a_client_requiring_mfa_requires_the_multi_factor_class() -> None:
    requirement = acr_requirement((), None, require_mfa=True)
    assert requirement.unmet(("pwd",))
    assert not requirement.unmet(("swk", "user", "mfa"))
    assert requirement.requested == (MULTI_FACTOR,)
