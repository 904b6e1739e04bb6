"""Telling relying parties that a person's session with us ended (OpenID Connect Front-Channel
Logout 1.0 and Back-Channel Logout 1.0).

The clients told are those that received an ID token in the ended session. Front-channel
logout happens in the person's browser, so only the page that ends the session can do it: it
gets the iframe URLs. Back-channel logout is a server-to-server POST that may fail, so each one
is a row in a table, sent and retried by `BackChannelDelivery`, a task in every server process:
a delivery outlives the process that queued it, and claiming a due row is one guarded UPDATE,
so two nodes never send the same attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.logout_tokens import LogoutTokenIssuer, expires_at, frontchannel_logout_url
from ciam_oidc.protocol.ports import ClientStore

log = logging.getLogger(__name__)

# Waits after the 1st, 2nd ... failed attempt; after the last one the delivery is given up.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
)
POLL_INTERVAL = 2.0
# Longer than any attempt can take (the sender's timeout): a node that dies mid-attempt leaves
# its claim behind, and the row is due again once the lease runs out.
CLAIM_LEASE = timedelta(minutes=1)
# A token this close to `exp` is signed anew, so the RP does not refuse it for its age.
RENEW_MARGIN = 30


class SessionClients(Protocol):
    async def clients_of_session(self, sub: str, session_id: str) -> Sequence[str]:
        """The client_ids that were issued codes (and so ID tokens) in the session."""


@dataclass(frozen=True)
class QueuedDelivery:
    client_id: str
    uri: str
    logout_token: str


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    client_id: str
    uri: str
    logout_token: str
    attempts: int
    """Attempts made so far, the one just claimed included."""


class LogoutDeliveryStore(Protocol):
    async def enqueue(self, deliveries: Sequence[QueuedDelivery], now: datetime) -> None:
        """Store the deliveries, due at once."""

    async def claim_due(
        self, now: datetime, lease_until: datetime, max_attempts: int, limit: int
    ) -> Sequence[ClaimedDelivery]:
        """Undelivered rows due at `now` with fewer than `max_attempts` attempts, each counted
        one more attempt and not due again before `lease_until`, atomically across nodes:
        a row claimed here is claimed by no other caller until the lease ends."""

    async def delivered(self, delivery: ClaimedDelivery, now: datetime) -> None: ...

    async def failed(self, delivery: ClaimedDelivery, error: str, retry_at: datetime) -> None:
        """Record why the attempt failed and when the next one is due."""

    async def discard(self, delivery: ClaimedDelivery) -> None:
        """Forget a delivery that can no longer be made (its client is gone)."""


class DeliveryFailed(Exception):
    """The RP did not accept the logout token; the message says why without the token."""


class LogoutTokenSender(Protocol):
    async def send(self, uri: str, logout_token: str) -> None:
        """BCL §2.5: POST the token to the RP. Raises DeliveryFailed unless 200 or 204."""

    async def aclose(self) -> None: ...


def _nothing() -> None:
    return None


class LogoutChannels:
    """What ending a browser session owes the clients that were signed in through it."""

    def __init__(
        self,
        clients: ClientStore,
        session_clients: SessionClients,
        deliveries: LogoutDeliveryStore,
        tokens: LogoutTokenIssuer,
        clock: Callable[[], datetime],
        wake: Callable[[], None] = _nothing,
    ) -> None:
        self._clients = clients
        self._session_clients = session_clients
        self._deliveries = deliveries
        self._tokens = tokens
        self._clock = clock
        self._wake = wake
        """Tells this process's delivery task that rows are due, so it need not wait to poll."""

    async def session_ended(self, sub: str, session_id: str) -> tuple[str, ...]:
        """Queue a back-channel logout for each client that registered a URI for one, and
        return the front-channel logout URLs for the page that ended the session to load."""
        now = self._clock()
        notified = await self._notified_clients(sub, session_id)
        queued = [
            QueuedDelivery(
                client.client_id,
                client.backchannel_logout_uri,
                await self._tokens.issue(client, sub, session_id, now),
            )
            for client in notified
            if client.backchannel_logout_uri is not None
        ]
        if queued:
            await self._deliveries.enqueue(queued, now)
            self._wake()
        urls = (frontchannel_logout_url(c, self._tokens.issuer, session_id) for c in notified)
        return tuple(url for url in urls if url is not None)

    async def _notified_clients(self, sub: str, session_id: str) -> list[Client]:
        clients = []
        for client_id in await self._session_clients.clients_of_session(sub, session_id):
            client = await self._clients.get_client(client_id)
            if client is not None:
                clients.append(client)
        return clients


class BackChannelDelivery:
    """Sends due logout tokens, retrying failures on `retry_delays`; one per server process."""

    def __init__(
        self,
        deliveries: LogoutDeliveryStore,
        sender: LogoutTokenSender,
        clients: ClientStore,
        tokens: LogoutTokenIssuer,
        clock: Callable[[], datetime],
        poll_interval: float = POLL_INTERVAL,
        retry_delays: Sequence[timedelta] = RETRY_DELAYS,
        lease: timedelta = CLAIM_LEASE,
        batch: int = 20,
    ) -> None:
        self._deliveries = deliveries
        self._sender = sender
        self._clients = clients
        self._tokens = tokens
        self._clock = clock
        self._poll_interval = poll_interval
        self._retry_delays = tuple(retry_delays)
        self._lease = lease
        self._batch = batch
        self._due = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._due.set()

    async def deliver_due(self) -> int:
        """One pass over the rows due now; how many were delivered."""
        now = self._clock()
        claimed = await self._deliveries.claim_due(
            now, now + self._lease, len(self._retry_delays) + 1, self._batch
        )
        # Concurrently, so that one slow RP does not hold back the others.
        results = await asyncio.gather(*(self._attempt(delivery) for delivery in claimed))
        return sum(results)

    async def _attempt(self, delivery: ClaimedDelivery) -> bool:
        token = delivery.logout_token
        if expires_at(token) <= self._clock().timestamp() + RENEW_MARGIN:
            client = await self._clients.get_client(delivery.client_id)
            if client is None or client.backchannel_logout_uri is None:
                await self._deliveries.discard(delivery)
                return False
            token = await self._tokens.renew(token, client, self._clock())
        try:
            await self._sender.send(delivery.uri, token)
        except DeliveryFailed as error:
            await self._failed(delivery, str(error))
            return False
        await self._deliveries.delivered(delivery, self._clock())
        return True

    async def _failed(self, delivery: ClaimedDelivery, error: str) -> None:
        now = self._clock()
        if delivery.attempts > len(self._retry_delays):
            log.warning(
                "gave up back-channel logout to client %s after %d attempts: %s",
                delivery.client_id,
                delivery.attempts,
                error,
            )
            await self._deliveries.failed(delivery, error, now)
            return
        await self._deliveries.failed(
            delivery, error, now + self._retry_delays[delivery.attempts - 1]
        )

    async def run(self) -> None:
        """Deliver what is due, then wait for a wake-up or the poll interval, until cancelled."""
        while True:
            try:
                await self.deliver_due()
            except Exception:  # a database outage must not end the task: rows wait for us
                log.exception("back-channel logout delivery pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), self._poll_interval)
            self._due.clear()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="back-channel logout delivery")

    async def aclose(self) -> None:
        """Cancel the task and release the sender; an attempt cut short keeps its claim until
        the lease ends, and then any node sends it again."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._sender.aclose()
