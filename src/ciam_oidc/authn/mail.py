"""Outgoing mail as sign-in methods see it: a message, a port that sends it, and a wrapper
that sends in the background.

Mail bodies hold sign-in links, which are as good as a password until used: nothing here logs
a body, and a failure is reported by the message's subject only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str | None = None
    """An alternative rendering; clients that prefer plain text still get `text`."""


class Mailer(Protocol):
    async def send(self, message: Message) -> None:
        """Deliver or raise; the exception must not carry the body."""


@dataclass(frozen=True)
class KeptMessage:
    """A message the development mailbox kept instead of sending."""

    id: str
    to: str
    subject: str
    text: str
    created_at: datetime


class Mailbox(Protocol):
    """Reading the development mailbox, where every node's mail lands in the database."""

    async def list(self, limit: int = 50) -> Sequence[KeptMessage]:
        """The newest messages first."""

    async def get(self, message_id: str) -> KeptMessage | None: ...


Job = Callable[[], Awaitable[None]]


class BackgroundMailer:
    """Sends through another Mailer in asyncio tasks, so a response never waits for SMTP.

    The caller's response then takes the same time whether or not a mail goes out, which is
    what keeps "we sent you a link" from telling anyone whether an address has an account.
    `defer` runs any such job (looking the account up, storing the link) the same way.

    Tasks are referenced until done (the event loop keeps only weak references) and their
    failures are logged, never raised: nobody is waiting for them. `drain` waits for all of
    them, `aclose` does so at shutdown with a time limit.
    """

    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, message: Message) -> None:
        """Queue the message and return at once."""
        self.defer(lambda: self._mailer.send(message), f"sending mail {message.subject!r}")

    def defer(self, job: Job, description: str) -> None:
        """Run `job` in a task; `description` names it in the log should it fail."""
        task = asyncio.get_running_loop().create_task(_logged(job, description))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every queued job, and any job those queued, has finished."""
        while self._tasks:
            # wait, unlike gather, leaves the jobs running should the waiter be cancelled.
            await asyncio.wait(set(self._tasks))

    async def aclose(self, grace: float = 30.0) -> None:
        """Give queued jobs `grace` seconds to finish, then cancel what is left."""
        try:
            async with asyncio.timeout(grace):
                await self.drain()
        except TimeoutError:
            left = list(self._tasks)
            log.warning("shutting down with %d mail jobs unfinished; cancelling them", len(left))
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)


async def _logged(job: Job, description: str) -> None:
    try:
        await job()
    except Exception as error:
        # The error's text only: error reporters that capture a traceback's local variables
        # would otherwise ship the message, link and all.
        log.error("%s failed: %s: %s", description, type(error).__name__, error)
