"""RFC 7636 with S256 only, and the downgrade rule of RFC 9700 §2.1.1."""

from __future__ import annotations

import pytest

from ciam_oidc.protocol.errors import InvalidGrant
from ciam_oidc.protocol.pkce import challenge_is_valid, s256_challenge, verify_code_verifier

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_s256_matches_the_rfc_7636_appendix_b_example() -> None:
    assert s256_challenge(VERIFIER) == CHALLENGE


def test_the_matching_verifier_is_accepted() -> None:
    verify_code_verifier(VERIFIER, CHALLENGE)


def test_a_code_without_challenge_redeemed_without_verifier_is_accepted() -> None:
    verify_code_verifier(None, None)


@pytest.mark.parametrize(
    ("verifier", "challenge"),
    [
        pytest.param(None, CHALLENGE, id="missing-verifier"),
        pytest.param(VERIFIER[:-1] + "l", CHALLENGE, id="wrong-verifier"),
        pytest.param(CHALLENGE, CHALLENGE, id="challenge-sent-as-verifier"),
        pytest.param(VERIFIER, None, id="verifier-for-a-code-without-challenge"),
        pytest.param("a" * 42, s256_challenge("a" * 42), id="verifier-too-short"),
        pytest.param("a" * 129, s256_challenge("a" * 129), id="verifier-too-long"),
        pytest.param("a" * 42 + "+", s256_challenge("a" * 42 + "+"), id="verifier-bad-character"),
        pytest.param("a" * 42 + "é", CHALLENGE, id="verifier-non-ascii"),
        pytest.param(VERIFIER, CHALLENGE + "é", id="challenge-non-ascii"),
    ],
)
def test_anything_else_is_invalid_grant(verifier: str | None, challenge: str | None) -> None:
    with pytest.raises(InvalidGrant):
        verify_code_verifier(verifier, challenge)


@pytest.mark.parametrize("length", [43, 128])
def test_verifiers_of_43_to_128_unreserved_characters_are_accepted(length: int) -> None:
    verifier = ("-._~" + "Az09" * 40)[:length]
    verify_code_verifier(verifier, s256_challenge(verifier))


def test_a_challenge_is_43_base64url_characters_encoding_256_bits() -> None:
    assert challenge_is_valid(CHALLENGE)
    assert challenge_is_valid(s256_challenge("x" * 64))
    assert not challenge_is_valid(None)
    assert not challenge_is_valid("")
    assert not challenge_is_valid(CHALLENGE[:-1])
    assert not challenge_is_valid(CHALLENGE + "A")
    assert not challenge_is_valid(CHALLENGE[:-1] + "=")
    assert not challenge_is_valid("+" + CHALLENGE[1:])
    # The last character holds 4 bits of the digest; its 2 spare bits must be zero.
    assert not challenge_is_valid(CHALLENGE[:-1] + "N")
