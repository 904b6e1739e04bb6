"""OpenID Connect Core §5.4 scope claims and §5.5 individually requested claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ciam_oidc.protocol.claims import SCOPE_CLAIMS, user_claims
from ciam_oidc.protocol.users import User

UPDATED = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)


def a_user(**claims: Any) -> User:
    return User(
        sub="248289761001",
        email="jane@example.com",
        email_verified=True,
        password_hash=None,
        claims={"name": "Jane Doe", "given_name": "Jane", "locale": "de-AT", **claims},
        created_at=UPDATED,
        updated_at=UPDATED,
    )


def test_profile_scope_releases_the_profile_claims_the_user_has() -> None:
    assert user_claims(a_user(), ["openid", "profile"], None) == {
        "name": "Jane Doe",
        "given_name": "Jane",
        "locale": "de-AT",
        "updated_at": int(UPDATED.timestamp()),
    }


def test_updated_at_is_whole_seconds_since_the_epoch() -> None:
    released = user_claims(a_user(), ["profile"], None)
    assert released["updated_at"] == 1770091506
    assert isinstance(released["updated_at"], int)


def test_email_scope_releases_the_account_email_and_its_verification() -> None:
    user = replace(a_user(), email_verified=False)
    assert user_claims(user, ["openid", "email"], None) == {
        "email": "jane@example.com",
        "email_verified": False,
    }


def test_address_and_phone_scopes_release_nothing_the_user_lacks() -> None:
    assert user_claims(a_user(), ["address", "phone"], None) == {}


def test_address_and_phone_scopes_release_what_the_user_has() -> None:
    user = a_user(address={"country": "AT"}, phone_number="+43 1 234", phone_number_verified=True)
    assert user_claims(user, ["address", "phone"], None) == {
        "address": {"country": "AT"},
        "phone_number": "+43 1 234",
        "phone_number_verified": True,
    }


def test_openid_and_unknown_scopes_release_no_claims() -> None:
    assert user_claims(a_user(), ["openid", "offline_access", "invoices:read"], None) == {}


def test_individually_requested_claims_are_added_to_the_scope_claims() -> None:
    requested = {"email": {"essential": True}, "given_name": None}
    assert user_claims(a_user(), ["openid"], requested) == {
        "email": "jane@example.com",
        "given_name": "Jane",
    }
    assert set(user_claims(a_user(), ["profile"], requested)) == {
        "name",
        "given_name",
        "locale",
        "updated_at",
        "email",
    }


def test_requested_claims_the_user_lacks_are_left_out_even_when_essential() -> None:
    """§5.5.1: not returning an essential claim is not an error."""
    requested = {"nickname": {"essential": True}, "picture": None}
    assert user_claims(a_user(), [], requested) == {}


def test_only_person_claims_can_be_requested_individually() -> None:
    """acr, auth_time and sub are about the authentication; they are not taken from the user."""
    user = a_user(acr="forged", sub="forged")
    requested = {"acr": {"essential": True}, "auth_time": None, "sub": None}
    assert user_claims(user, [], requested) == {}


def test_null_and_empty_values_count_as_absent() -> None:
    """§5.3.2: a claim that is not returned is omitted, not sent as null or ""."""
    user = a_user(nickname="", website=None)
    assert "nickname" not in user_claims(user, ["profile"], None)
    assert "website" not in user_claims(user, ["profile"], None)


def test_scope_claims_are_those_of_core_5_4() -> None:
    assert set(SCOPE_CLAIMS) == {"profile", "email", "address", "phone"}
    assert len(SCOPE_CLAIMS["profile"]) == 14
    assert SCOPE_CLAIMS["phone"] == ("phone_number", "phone_number_verified")
