"""Matching authenticator-app codes to time steps, and recovery codes, without storage."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from ciam_oidc.authn.recovery_codes import CODES_PER_SET, RecoveryCodes
from ciam_oidc.authn.totp_codes import matching_step, normalise_code, time_step

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
NOW = datetime(2026, 3, 29, 1, 30, 10, tzinfo=UTC)
STEP = timedelta(seconds=30)


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_rfc_6238_appendix_b_vector() -> None:
    """RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082, of which apps show the last 6 digits."""
    secret = base64.b32encode(b"12345678901234567890").decode()
    moment = datetime.fromtimestamp(59, UTC)
    assert time_step(moment) == 1
    assert matching_step(secret, "287082", moment) == 1


@pytest.mark.parametrize("steps_away", [-1, 0, 1])
def test_a_code_one_step_either_side_matches_its_own_step(steps_away: int) -> None:
    assert matching_step(SECRET, code_at(NOW + steps_away * STEP), NOW) == (
        time_step(NOW) + steps_away
    )


@pytest.mark.parametrize("steps_away", [-2, 2, 10])
def test_a_code_further_away_does_not_match(steps_away: int) -> None:
    assert matching_step(SECRET, code_at(NOW + steps_away * STEP), NOW) is None


def test_a_code_for_another_secret_does_not_match() -> None:
    assert matching_step(SECRET, pyotp.TOTP(OTHER_SECRET).at(NOW), NOW) is None


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [("123456", "123456"), (" 123 456 ", "123456"), ("12345", None), ("1234567", None)],
)
def test_typed_codes_ignore_spaces_and_need_six_digits(typed: str, normalised: str | None) -> None:
    assert normalise_code(typed) == normalised


@pytest.mark.parametrize("typed", ["abcdef", "12345x", "\uff11\uff12\uff13\uff14\uff15\uff16", ""])
def test_anything_but_ascii_digits_is_not_a_code(typed: str) -> None:
    assert normalise_code(typed) is None


def test_recovery_codes_are_easy_to_type_and_carry_fifty_bits() -> None:
    codes = RecoveryCodes.new_set()
    assert len(codes) == CODES_PER_SET == 10
    assert len(set(codes)) == len(codes)
    for code in codes:
        # 10 characters from a 32-letter alphabet: 10 x 5 = 50 bits.
        assert re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{2}", code)


def test_a_recovery_code_digest_ignores_case_spaces_and_dashes() -> None:
    codes = RecoveryCodes(b"m" * 32)
    digest = codes.digest("sub-1", "abcd-efgh-ij")
    assert codes.digest("sub-1", " ABCD EFGH-IJ ") == digest
    assert codes.digest("sub-1", "abcdefghij") == digest


def test_recovery_code_digests_depend_on_the_master_secret_and_the_account() -> None:
    digest = RecoveryCodes(b"m" * 32).digest("sub-1", "abcd-efgh-ij")
    assert RecoveryCodes(b"n" * 32).digest("sub-1", "abcd-efgh-ij") != digest
    assert RecoveryCodes(b"m" * 32).digest("sub-2", "abcd-efgh-ij") != digest
    assert "abcdefghij" not in digest
