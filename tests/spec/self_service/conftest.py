"""Self-service pages (registration, recovery) under an https issuer, as in production, with
mail going out through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi import FastAPI

from ciam_oidc.app import Provider
from tests.spec.browser import Browser
from tests.spec.http import http_client
from tests.support.smtp import SmtpServer, smtp_server

ISSUER = "https://id.example.com"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings_overrides(smtp: SmtpServer) -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "dev_mailbox": False,
    }


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with http_client(app, ISSUER) as http:
        yield Browser(http)


@dataclass
class Inbox:
    """What the SMTP server received, once the provider's background mail has gone out."""

    provider: Provider
    smtp: SmtpServer

    async def mail_to(self, address: str) -> list[EmailMessage]:
        assert self.provider.sign_in.outbox is not None
        await self.provider.sign_in.outbox.drain()
        for _ in range(50):  # the server hands a message over on its own thread
            if any(message["To"] == address for message in self.smtp.received):
                break
            await asyncio.sleep(0.02)
        return [message for message in self.smtp.received if message["To"] == address]

    async def text_to(self, address: str) -> str:
        """The plain-text body of the one message `address` received."""
        (message,) = await self.mail_to(address)
        body = message.get_body(("plain",))
        assert body is not None
        text: str = body.get_content()
        return text


@pytest.fixture
def inbox(provider: Provider, smtp: SmtpServer) -> Inbox:
    return Inbox(provider, smtp)
