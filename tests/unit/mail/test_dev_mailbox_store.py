"""The development mailbox keeps mail in the database, so every node's mail shows in one list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from ciam_oidc.authn.mail import Message
from ciam_oidc.store.database import Database
from ciam_oidc.store.mailbox import DevMailbox

START = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def mailbox_at(database: Database, when: datetime) -> DevMailbox:
    return DevMailbox(database, lambda: when)


async def test_kept_mail_is_listed_newest_first(database: Database) -> None:
    for minute in range(3):
        node = mailbox_at(database, START + timedelta(minutes=minute))
        await node.send(Message(f"user{minute}@example.com", f"Subject {minute}", "Body"))
    kept = await mailbox_at(database, START).list()
    assert [message.subject for message in kept] == ["Subject 2", "Subject 1", "Subject 0"]
    assert kept[0].to == "user2@example.com"
    assert kept[0].created_at == START + timedelta(minutes=2)
    assert [message.subject for message in await mailbox_at(database, START).list(limit=1)] == [
        "Subject 2"
    ]


async def test_one_message_is_found_by_its_id_with_its_text(database: Database) -> None:
    mailbox = mailbox_at(database, START)
    await mailbox.send(Message("ada@example.com", "Hello", "Line one\nLine two", html="<p>x</p>"))
    (listed,) = await mailbox.list()
    found = await mailbox.get(listed.id)
    assert found is not None
    assert found == listed
    assert found.text == "Line one\nLine two"
    assert await mailbox.get("no-such-id") is None
