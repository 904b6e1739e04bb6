"""The password policy: NIST SP 800-63B §3.1.1.2 length, a list of common passwords, and never
the account's own address; no composition rules."""

from __future__ import annotations

from importlib import resources

import pytest

from ciam_oidc.authn.password_policy import MAX_LENGTH, PasswordPolicy

EMAIL = "Ada.Lovelace@example.com"
TOO_SHORT = "Use at least 8 characters."
COMMON = "one of the most common ones"
OWN_ADDRESS = "Choose a password that is not your email address."


@pytest.fixture
def policy() -> PasswordPolicy:
    return PasswordPolicy(min_length=8)


def problem_of(policy: PasswordPolicy, password: str) -> str:
    problem = policy.problem(password, EMAIL)
    assert problem is not None, f"{password!r} was accepted"
    return problem


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "zebra lantern",  # lowercase letters and a space: no composition rules
        "84613975",  # digits only, yet not a common one
        "x" * 64,
        "ü" * MAX_LENGTH,  # one code point each, whatever their UTF-8 length
    ],
)
def test_long_enough_uncommon_passwords_are_accepted_without_composition_rules(
    policy: PasswordPolicy, password: str
) -> None:
    assert policy.problem(password, EMAIL) is None


def test_passwords_shorter_than_the_minimum_are_refused_with_the_minimum_named(
    policy: PasswordPolicy,
) -> None:
    assert problem_of(policy, "w7#kQz1").startswith(TOO_SHORT)
    assert policy.problem("w7#kQz1x") is None


def test_the_minimum_is_the_configured_one() -> None:
    strict = PasswordPolicy(min_length=12)
    assert strict.problem("w7#kQz1xw7#") == (
        "Use at least 12 characters. A few unrelated words make a password that is long and "
        "easy to remember."
    )
    assert strict.problem("w7#kQz1xw7#k") is None


def test_passwords_longer_than_the_maximum_are_refused(policy: PasswordPolicy) -> None:
    assert problem_of(policy, "x" * (MAX_LENGTH + 1)) == f"Use at most {MAX_LENGTH} characters."


def test_length_counts_code_points_after_nfkc_normalisation(policy: PasswordPolicy) -> None:
    # Eight code points as typed, four characters once "e" and its combining accent compose.
    decomposed = "e\u0301" * 4
    assert len(decomposed) == 8
    assert problem_of(policy, decomposed).startswith(TOO_SHORT)
    # One ligature code point is two letters after NFKC: seven as typed, eight counted.
    assert policy.problem("\ufb00ygrqtzw") is None


@pytest.mark.parametrize("password", ["password", "PassWord", "iloveyou1", "QWERTYUIOP"])
def test_common_passwords_are_refused_whatever_their_case(
    policy: PasswordPolicy, password: str
) -> None:
    assert COMMON in problem_of(policy, password)


def test_full_width_letters_do_not_disguise_a_common_password(policy: PasswordPolicy) -> None:
    full_width = "".join(chr(ord(letter) + 0xFEE0) for letter in "password")  # U+FF50...
    assert COMMON in problem_of(policy, full_width)


@pytest.mark.parametrize(
    "password", ["ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM", "Ada.Lovelace"]
)
def test_the_accounts_own_address_or_its_local_part_is_refused(
    policy: PasswordPolicy, password: str
) -> None:
    assert problem_of(policy, password) == OWN_ADDRESS


def test_an_address_is_only_refused_for_its_own_account(policy: PasswordPolicy) -> None:
    assert policy.problem("ada.lovelace", "grace.hopper@example.com") is None
    assert policy.problem("ada.lovelace") is None


def test_the_shipped_list_names_its_source_and_holds_ten_thousand_lowercase_passwords() -> None:
    text = resources.files("ciam_oidc.authn").joinpath("data/common_passwords.txt").read_text()
    header, *passwords = text.splitlines()
    assert header.startswith("#")
    assert "zxcvbn" in header
    assert "MIT" in header
    assert len(passwords) == len(set(passwords)) == 10_000
    assert all(password == password.lower() and len(password) >= 8 for password in passwords)
