"""Sending through a real SMTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ciam_oidc.authn.mail import Message
from ciam_oidc.mail.smtp import MailNotSent, SmtpMailer
from ciam_oidc.settings import Settings
from tests.support.smtp import HOST, SmtpServer, smtp_server, unused_port

SENDER = "ciam-oidc <no-reply@idp.example>"
LINK = "http://localhost:8000/login/link?token=secret-token-value"
MESSAGE = Message(to="ada@example.com", subject="Your sign-in link", text=f"Open {LINK}\n")


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def mailer_for(server: SmtpServer) -> SmtpMailer:
    return SmtpMailer(server.host, server.port, "none", SENDER)


async def test_a_message_arrives_with_its_headers_and_text(server: SmtpServer) -> None:
    await mailer_for(server).send(MESSAGE)
    (received,) = server.received
    assert received["From"] == SENDER
    assert received["To"] == "ada@example.com"
    assert received["Subject"] == "Your sign-in link"
    assert received["Date"]
    assert received["Message-ID"].endswith("@idp.example>")
    body = received.get_body(("plain",))
    assert body is not None
    assert LINK in body.get_content()


async def test_an_html_rendering_travels_beside_the_text(server: SmtpServer) -> None:
    message = Message(MESSAGE.to, MESSAGE.subject, MESSAGE.text, html="<p>Open the link</p>")
    await mailer_for(server).send(message)
    (received,) = server.received
    plain, html = received.get_body(("plain",)), received.get_body(("html",))
    assert plain is not None
    assert LINK in plain.get_content()
    assert html is not None
    assert "<p>Open the link</p>" in html.get_content()


async def test_an_unreachable_server_is_named_in_the_error_but_the_body_is_not() -> None:
    port = unused_port()
    with pytest.raises(MailNotSent) as raised:
        await SmtpMailer(HOST, port, "none", SENDER, timeout=2).send(MESSAGE)
    assert f"{HOST}:{port}" in str(raised.value)
    assert "secret-token-value" not in str(raised.value)


async def test_starttls_is_required_not_merely_tried(server: SmtpServer) -> None:
    """A server (or a man in the middle) that offers no STARTTLS gets no message in clear."""
    with pytest.raises(MailNotSent):
        await SmtpMailer(server.host, server.port, "starttls", SENDER, timeout=2).send(MESSAGE)
    assert server.received == []


async def test_the_mailer_is_built_from_the_smtp_settings(server: SmtpServer) -> None:
    settings = Settings(
        smtp_host=server.host, smtp_port=server.port, smtp_security="none", mail_sender=SENDER
    )
    await SmtpMailer.from_settings(settings).send(MESSAGE)
    assert [received["From"] for received in server.received] == [SENDER]


def test_a_mailer_needs_a_host() -> None:
    with pytest.raises(ValueError, match="CIAM_SMTP_HOST"):
        SmtpMailer.from_settings(Settings())
