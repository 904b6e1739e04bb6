"""The public keys of a client, whether it registered them by value (`jwks`) or by reference
(`jwks_uri`; RFC 7591 §2, OpenID Connect Dynamic Client Registration §2).

A `jwks_uri` lets the client rotate keys without telling us: the set it serves is cached per
URL for a while, and fetched again at once when a signature names a `kid` the cached set lacks
(OpenID Connect Core §10.1.1: a new key appears before it is used). A fetched set passes the
same checks as one registered by value (`check_client_jwks`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import KeySet

from ciam_oidc.protocol.client_jwks import check_client_jwks
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidClientMetadata
from ciam_oidc.protocol.ports import DocumentFetcher, FetchFailed

# How long a set fetched from a jwks_uri is used before it is fetched again: a rotation the
# client announces by a new kid is picked up at once anyway, so this bounds only how long a
# key the client withdrew stays usable here.
CACHE_SECONDS = 300
# Enough for every client with a jwks_uri on a large deployment; beyond it, the oldest
# entries go first, so the cache cannot grow with the number of URLs ever seen.
MAX_CACHED_SETS = 1000


class ClientKeysUnavailable(Exception):
    """The client has no usable keys: none registered, or its jwks_uri failed or served a set
    that is not acceptable. The message may name the URL, never what it served."""


@dataclass(frozen=True)
class _Fetched:
    jwks: Mapping[str, Any]
    at: datetime


class ClientKeys:
    def __init__(self, fetcher: DocumentFetcher, ttl: int, clock: Callable[[], datetime]) -> None:
        self._fetcher = fetcher
        self._ttl = timedelta(seconds=ttl)
        self._clock = clock
        self._cache: dict[str, _Fetched] = {}

    async def jwks(self, client: Client, refresh: bool = False) -> Mapping[str, Any]:
        """The client's JWK Set, checked. `refresh` fetches a `jwks_uri` again even when the
        cached copy is fresh: for a signature whose `kid` the cached copy does not hold."""
        if client.jwks is not None:
            return client.jwks
        if client.jwks_uri is None:
            raise ClientKeysUnavailable(f"client {client.client_id} registered no keys")
        now = self._clock()
        cached = self._cache.get(client.jwks_uri)
        if cached is not None and not refresh and now - cached.at < self._ttl:
            return cached.jwks
        jwks = await self._fetch(client.jwks_uri)
        self._remember(client.jwks_uri, _Fetched(jwks, now))
        return jwks

    async def key_set(self, client: Client, refresh: bool = False) -> KeySet:
        """The client's keys as a joserfc KeySet (see `jwks`)."""
        return KeySet.import_key_set(dict(await self.jwks(client, refresh)))  # type: ignore[arg-type]

    async def _fetch(self, url: str) -> Mapping[str, Any]:
        try:
            return check_client_jwks(json.loads(await self._fetcher.fetch(url)))
        except FetchFailed as error:
            raise ClientKeysUnavailable(str(error)) from None
        except (ValueError, RecursionError):  # json.JSONDecodeError is a ValueError
            raise ClientKeysUnavailable(f"{url} did not serve JSON") from None
        except InvalidClientMetadata as error:
            raise ClientKeysUnavailable(
                f"{url} served an unusable set: {error.description}"
            ) from None

    def _remember(self, url: str, fetched: _Fetched) -> None:
        self._cache.pop(url, None)
        self._cache[url] = fetched
        while len(self._cache) > MAX_CACHED_SETS:
            del self._cache[next(iter(self._cache))]
