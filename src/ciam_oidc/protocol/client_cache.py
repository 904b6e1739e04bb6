"""Client records cached in process, with a bound on staleness across nodes.

Every token request needs its client; reading it from the database each time would double the
endpoint's round trips. A change made through any node (or the CLI) reaches every node within
`ttl` seconds: the staleness an operator accepts for a registration change, never for tokens.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.ports import ClientStore

_MAX_ENTRIES = 10_000


class CachedClientStore:
    """A ClientStore that remembers lookups (including misses) for `ttl` seconds."""

    def __init__(self, store: ClientStore, ttl: float) -> None:
        self._store = store
        self._ttl = ttl
        self._entries: OrderedDict[str, tuple[float, Client | None]] = OrderedDict()

    async def get_client(self, client_id: str) -> Client | None:
        now = time.monotonic()
        cached = self._entries.get(client_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        client = await self._store.get_client(client_id)
        self._entries[client_id] = (now, client)
        self._entries.move_to_end(client_id)
        if len(self._entries) > _MAX_ENTRIES:  # bounded memory under a flood of made-up ids
            self._entries.popitem(last=False)
        return client

    async def add_client(self, client: Client) -> None:
        await self._store.add_client(client)
        self._entries.pop(client.client_id, None)

    async def list_clients(self) -> Sequence[Client]:
        return await self._store.list_clients()

    async def delete_client(self, client_id: str) -> bool:
        self._entries.pop(client_id, None)
        return await self._store.delete_client(client_id)

    def forget(self, client_id: str) -> None:
        """Drop one entry: the client changed through another path (RFC 7592 management)."""
        self._entries.pop(client_id, None)
