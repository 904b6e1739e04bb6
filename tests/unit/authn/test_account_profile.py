"""Editing one's own profile claims: what is accepted, how it is written, what is recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from ciam_oidc.authn.account_profile import ProfileEditor, read_profile
from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.protocol.users import UserRequest, new_user
from ciam_oidc.store.audit import SqlAuditStore
from ciam_oidc.store.database import Database
from ciam_oidc.store.users import SqlUserStore
from tests.support.clock import Clock


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("de", "de"),
        ("DE-ch", "de-CH"),
        ("en_GB", "en-GB"),
        ("es-419", "es-419"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("  fr  ", "fr"),
    ],
)
def test_a_locale_is_written_as_a_bcp47_tag(typed: str, stored: str) -> None:
    form = read_profile({"locale": typed})
    assert form.problems == {}
    assert form.values["locale"] == stored


@pytest.mark.parametrize("typed", ["German", "d", "de-", "de-CHE", "de CH", "12-CH"])
def test_a_locale_that_is_no_language_tag_is_refused(typed: str) -> None:
    assert "locale" in read_profile({"locale": typed}).problems


def test_a_time_zone_is_written_with_its_iana_spelling() -> None:
    form = read_profile({"zoneinfo": "america/new_york"})
    assert form.problems == {}
    assert form.values["zoneinfo"] == "America/New_York"


@pytest.mark.parametrize("typed", ["CET+1", "Europe", "Mars/Olympus_Mons", "../etc/passwd"])
def test_a_time_zone_that_is_no_iana_name_is_refused(typed: str) -> None:
    assert "zoneinfo" in read_profile({"zoneinfo": typed}).problems


def test_names_are_single_lines_of_bounded_length() -> None:
    form = read_profile(
        {
            "name": " Ada \n  King\tLovelace ",
            "given_name": "A" * 101,
            "family_name": "Love\u0000lace",
            "nickname": "A" * 100,
        }
    )
    assert form.values["name"] == "Ada King Lovelace"
    assert set(form.problems) == {"given_name", "family_name"}


def test_every_claim_may_be_left_blank_and_other_fields_are_ignored() -> None:
    form = read_profile({"email": "mallory@example.com", "sub": "x"})
    assert form.problems == {}
    assert form.values == dict.fromkeys(
        ("name", "given_name", "family_name", "nickname", "locale", "zoneinfo"), ""
    )


@dataclass
class Profiles:
    editor: ProfileEditor
    users: SqlUserStore
    audit: AuditLog
    clock: Clock
    sub: str


@pytest.fixture
async def profiles(database_url: str) -> AsyncIterator[Profiles]:
    database = Database(database_url)
    clock = Clock()
    users = SqlUserStore(database)
    user = new_user(UserRequest("ada@example.com", claims={"name": "Ada"}), None, clock())
    await users.add_user(user)
    # An operator may keep claims of its own beside the profile (set outside the account page).
    await users.update_profile(user.sub, {"name": "Ada", "picture": "https://x/ada.png"}, clock())
    audit = AuditLog(SqlAuditStore(database), clock)
    try:
        yield Profiles(ProfileEditor(users, audit, clock), users, audit, clock, user.sub)
    finally:
        await database.dispose()


async def test_saving_replaces_the_profile_and_keeps_other_claims(profiles: Profiles) -> None:
    profiles.clock.advance(timedelta(minutes=1))
    typed = read_profile({"given_name": "Ada", "locale": "en-GB"})

    assert await profiles.editor.update(profiles.sub, typed, "203.0.113.9")

    user = await profiles.users.get_user(profiles.sub)
    assert user is not None
    assert user.claims == {"given_name": "Ada", "locale": "en-GB", "picture": "https://x/ada.png"}
    assert user.updated_at == profiles.clock()
    [event] = await profiles.audit.of(profiles.sub)
    assert event.type is EventType.PROFILE_UPDATED
    assert dict(event.details) == {"claims": "name,given_name,locale"}


async def test_saving_the_same_profile_again_writes_and_records_nothing(
    profiles: Profiles,
) -> None:
    before = await profiles.users.get_user(profiles.sub)
    profiles.clock.advance(timedelta(minutes=1))

    assert not await profiles.editor.update(profiles.sub, read_profile({"name": "Ada"}), None)

    assert await profiles.users.get_user(profiles.sub) == before
    assert await profiles.audit.of(profiles.sub) == []


async def test_a_profile_with_problems_is_never_stored(profiles: Profiles) -> None:
    typed = read_profile({"name": "Ada Lovelace", "zoneinfo": "Nowhere"})
    assert not await profiles.editor.update(profiles.sub, typed, None)
    assert await profiles.editor.current(profiles.sub) == {
        "name": "Ada",
        "given_name": "",
        "family_name": "",
        "nickname": "",
        "locale": "",
        "zoneinfo": "",
    }
