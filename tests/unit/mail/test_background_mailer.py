"""Mail sent in the background: the caller never waits, failures are logged without bodies."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ciam_oidc.authn.mail import BackgroundMailer, Message
from ciam_oidc.mail.smtp import SmtpMailer
from tests.support.smtp import HOST, smtp_server, unused_port

SECRET_LINK = "http://localhost:8000/login/link?token=secret-token-value"
MESSAGE = Message(to="ada@example.com", subject="Your sign-in link", text=f"Open {SECRET_LINK}")


class GatedMailer:
    """Delivers only once the test opens the gate: a server that takes its time."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.delivered: list[Message] = []

    async def send(self, message: Message) -> None:
        await self.gate.wait()
        self.delivered.append(message)


async def test_sending_returns_before_the_mail_is_delivered() -> None:
    slow = GatedMailer()
    mailer = BackgroundMailer(slow)
    await asyncio.wait_for(mailer.send(MESSAGE), timeout=1)
    assert slow.delivered == []
    slow.gate.set()
    await mailer.drain()
    assert slow.delivered == [MESSAGE]


async def test_mail_reaches_a_real_server_once_drained() -> None:
    with smtp_server() as server:
        mailer = BackgroundMailer(SmtpMailer(server.host, server.port, "none", "a@idp.example"))
        await mailer.send(MESSAGE)
        await mailer.drain()
        assert [received["To"] for received in server.received] == ["ada@example.com"]


async def test_drain_waits_for_jobs_that_queue_more_mail() -> None:
    slow = GatedMailer()
    slow.gate.set()
    mailer = BackgroundMailer(slow)

    async def look_up_then_mail() -> None:
        await asyncio.sleep(0)
        await mailer.send(MESSAGE)

    mailer.defer(look_up_then_mail, "a job")
    await mailer.drain()
    assert slow.delivered == [MESSAGE]


async def test_a_server_that_is_down_is_logged_without_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = BackgroundMailer(SmtpMailer(HOST, unused_port(), "none", "a@idp.example", timeout=2))
    with caplog.at_level(logging.ERROR, logger="ciam_oidc.authn.mail"):
        await mailer.send(MESSAGE)
        await mailer.drain()
    (record,) = caplog.records
    assert "Your sign-in link" in record.getMessage()
    assert "MailNotSent" in record.getMessage()
    assert record.exc_info is None
    assert "secret-token-value" not in caplog.text


async def test_a_failing_job_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    slow = GatedMailer()
    slow.gate.set()
    mailer = BackgroundMailer(slow)

    async def broken() -> None:
        raise RuntimeError("database went away")

    with caplog.at_level(logging.ERROR, logger="ciam_oidc.authn.mail"):
        mailer.defer(broken, "emailing a sign-in link")
        await mailer.send(MESSAGE)
        await mailer.drain()
    assert slow.delivered == [MESSAGE]
    assert "emailing a sign-in link failed: RuntimeError" in caplog.text


async def test_closing_gives_up_on_jobs_that_outlast_the_grace_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stuck = GatedMailer()
    mailer = BackgroundMailer(stuck)
    await mailer.send(MESSAGE)
    with caplog.at_level(logging.WARNING, logger="ciam_oidc.authn.mail"):
        await asyncio.wait_for(mailer.aclose(grace=0.05), timeout=2)
    assert stuck.delivered == []
    assert "1 mail jobs unfinished" in caplog.text
    await mailer.drain()  # nothing left to wait for
