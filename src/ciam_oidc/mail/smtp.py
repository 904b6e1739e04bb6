"""Sending mail through an SMTP server (RFC 5321), with aiosmtplib.

One connection per message: sign-in links are rare next to page views, and a pooled
connection would have to survive server idle timeouts on every node.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Literal

import aiosmtplib

from ciam_oidc.authn.mail import Message
from ciam_oidc.settings import Settings

Security = Literal["starttls", "tls", "none"]


class MailNotSent(Exception):
    """The server could not be reached or refused the message; says which, never the body."""


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        """`security`: "starttls" requires the upgrade (RFC 3207) rather than trying it, so a
        man in the middle cannot strip it; "tls" is implicit TLS (RFC 8314); "none" is for a
        relay on the same host. `timeout` bounds each network step, in seconds."""
        self._host = host
        self._port = port
        self._security = security
        self._sender = sender
        self._username = username
        self._password = password
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        if settings.smtp_host is None:
            raise ValueError("CIAM_SMTP_HOST is not set")
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            sender=settings.mail_sender,
            username=settings.smtp_username,
            password=password.get_secret_value() if password else None,
        )

    async def send(self, message: Message) -> None:
        try:
            await aiosmtplib.send(
                self._email(message),
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._security == "tls",
                start_tls=self._security == "starttls",
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailNotSent(f"{self._host}:{self._port}: {error}") from None

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.to
        email["Subject"] = message.subject
        # RFC 5322 §3.6: Date is required, Message-ID expected. Naming the sender's domain
        # also spares make_msgid a blocking DNS lookup of our own host name.
        email["Date"] = formatdate(localtime=False)
        domain = parseaddr(self._sender)[1].rpartition("@")[2] or "localhost"
        email["Message-ID"] = make_msgid(domain=domain)
        email.set_content(message.text)
        if message.html is not None:
            email.add_alternative(message.html, subtype="html")
        return email
