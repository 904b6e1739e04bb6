from datetime import UTC, datetime

import pytest

from ciam_oidc.protocol.users import InvalidUser, UserRequest, new_user, normalize_email

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_email_is_compared_case_insensitively() -> None:
    assert normalize_email("  Alice@Example.COM ") == "alice@example.com"


@pytest.mark.parametrize("email", ["alice", "alice@", "@example.com", "a b@example.com", ""])
def test_text_that_cannot_be_an_address_is_refused(email: str) -> None:
    with pytest.raises(InvalidUser):
        normalize_email(email)


def test_subjects_are_opaque_and_never_reused() -> None:
    first = new_user(UserRequest(email="a@example.com"), None, NOW)
    second = new_user(UserRequest(email="a@example.com"), None, NOW)
    assert first.sub != second.sub
    assert "a@example.com" not in first.sub


def test_only_known_profile_claims_are_accepted() -> None:
    with pytest.raises(InvalidUser):
        new_user(UserRequest(email="a@example.com", claims={"is_admin": True}), None, NOW)
