"""Mapping an upstream's claims to ours: email verification, profile claims, GitHub's list."""

from __future__ import annotations

import pytest

from ciam_oidc.federation.claims import authentication, email, profile
from ciam_oidc.federation.github import primary_verified_email


@pytest.mark.parametrize(
    ("claims", "trust_email", "expected"),
    [
        ({"email": "a@x.example", "email_verified": True}, False, ("a@x.example", True)),
        ({"email": "a@x.example", "email_verified": "true"}, False, ("a@x.example", True)),
        ({"email": "a@x.example", "email_verified": "false"}, True, ("a@x.example", False)),
        ({"email": "a@x.example", "email_verified": False}, True, ("a@x.example", False)),
        ({"email": "a@x.example"}, False, ("a@x.example", False)),
        ({"email": "a@x.example"}, True, ("a@x.example", True)),
        ({"email": "not-an-address", "email_verified": True}, True, (None, False)),
        ({"email_verified": True}, True, (None, False)),
    ],
)
def test_email_is_verified_by_the_claim_or_by_trust_when_there_is_no_claim(
    claims: dict[str, object], trust_email: bool, expected: tuple[str | None, bool]
) -> None:
    assert email(claims, {}, trust_email) == expected


def test_claim_map_renames_upstream_claims() -> None:
    facebook = {"id": "10", "first_name": "Jane", "last_name": "Doe", "name": " Jane Doe "}
    claim_map = {"sub": "id", "given_name": "first_name", "family_name": "last_name"}

    assert profile(facebook, claim_map) == {
        "given_name": "Jane",
        "family_name": "Doe",
        "name": "Jane Doe",
    }
    assert profile({"name": 42, "locale": ""}, {}) == {}


def test_amr_and_acr_are_copied_as_stated() -> None:
    assert authentication({"amr": ["pwd", 7, "otp"], "acr": "loa2"}) == (("pwd", "otp"), "loa2")
    assert authentication({"amr": "pwd"}) == ((), None)


def test_github_primary_verified_address_is_chosen() -> None:
    emails = [
        {"email": "old@x.example", "primary": False, "verified": True},
        {"email": "me@x.example", "primary": True, "verified": True},
    ]

    assert primary_verified_email(emails) == "me@x.example"
    assert primary_verified_email([{**emails[1], "verified": False}, emails[0]]) is None
    assert primary_verified_email({"message": "Not Found"}) is None
