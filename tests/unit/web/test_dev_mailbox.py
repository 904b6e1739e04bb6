"""The development mailbox pages: every node's mail in one list, only our links clickable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from ciam_oidc.authn.mail import Message
from ciam_oidc.store.database import Database
from ciam_oidc.store.mailbox import DevMailbox
from ciam_oidc.web.dev_mailbox import dev_mailbox_router, linked_segments
from ciam_oidc.web.pages import Pages

ISSUER = "http://localhost:8000"
OUR_LINK = f"{ISSUER}/login/link?token=abc"
HOSTILE = '<script>alert("pwned")</script>'


@pytest.fixture
async def mailbox(database_url: str) -> AsyncIterator[DevMailbox]:
    database = Database(database_url)
    yield DevMailbox(database, lambda: datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    await database.dispose()


@pytest.fixture
async def client(mailbox: DevMailbox) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(dev_mailbox_router(mailbox, Pages(), "", ISSUER))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


async def test_an_empty_mailbox_says_so_and_what_it_is(client: httpx.AsyncClient) -> None:
    page = await client.get("/dev/mailbox")
    assert page.status_code == 200
    assert "development mailbox" in page.text
    assert "No mail yet" in page.text


async def test_the_list_shows_recipient_and_subject_linking_to_each_message(
    client: httpx.AsyncClient, mailbox: DevMailbox
) -> None:
    await mailbox.send(Message("ada@example.com", "Your sign-in link", f"Open {OUR_LINK}"))
    (kept,) = await mailbox.list()
    page = await client.get("/dev/mailbox")
    assert "ada@example.com" in page.text
    assert f'href="/dev/mailbox/{kept.id}"' in page.text
    assert "01:30:00" in page.text
    assert OUR_LINK not in page.text, "bodies are only shown one message at a time"


async def test_a_message_links_only_to_this_provider_and_escapes_the_rest(
    client: httpx.AsyncClient, mailbox: DevMailbox
) -> None:
    body = f"Open {OUR_LINK}.\nNot https://evil.example/a nor {ISSUER}.evil.example/b\n{HOSTILE}"
    await mailbox.send(Message("ada@example.com", HOSTILE, body))
    (kept,) = await mailbox.list()
    page = await client.get(f"/dev/mailbox/{kept.id}")
    assert page.status_code == 200
    assert f'<a href="{OUR_LINK}">{OUR_LINK}</a>.' in page.text
    assert 'href="https://evil.example' not in page.text
    assert f'href="{ISSUER}.evil' not in page.text
    assert "<script" not in page.text
    assert "&lt;script&gt;" in page.text


async def test_an_unknown_message_is_not_found(client: httpx.AsyncClient) -> None:
    page = await client.get("/dev/mailbox/nothing-here")
    assert page.status_code == 404


def test_segments_cover_the_whole_text_in_order() -> None:
    text = f"a {OUR_LINK}, b {ISSUER} c"
    segments = linked_segments(text, ISSUER)
    assert "".join(part for part, _ in segments) == text
    assert [href for _, href in segments if href] == [OUR_LINK, ISSUER]
