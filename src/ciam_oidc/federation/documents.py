"""Upstream documents (discovery metadata, key sets) cached per URL for `metadata_ttl`.

A fetch holds a lock per URL, so callers that miss together wait for one request instead of
each sending their own; `refetch` lets a caller that found the cached copy wanting (a key id
it does not hold) replace it, unless another caller already did while it waited. Each node
keeps its own copy: staleness across nodes is bounded by the TTL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx

from ciam_oidc.federation.http import get_json

T = TypeVar("T")


@dataclass(frozen=True)
class Fetched(Generic[T]):
    value: T
    fetched_at: datetime


class CachedDocuments(Generic[T]):
    def __init__(
        self,
        http: httpx.AsyncClient,
        ttl: int,
        clock: Callable[[], datetime],
        what: str,
        parse: Callable[[Any, str], T],
    ) -> None:
        """`parse(document, url)` turns the JSON into what is cached, or raises UpstreamError."""
        self._http = http
        self._ttl = timedelta(seconds=ttl)
        self._clock = clock
        self._what = what
        self._parse = parse
        self._documents: dict[str, Fetched[T]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, url: str) -> Fetched[T]:
        cached = self._fresh(url)
        if cached is not None:
            return cached
        async with self._lock(url):
            return self._fresh(url) or await self._fetch(url)

    async def refetch(self, url: str, stale: Fetched[T]) -> Fetched[T]:
        """A new copy instead of `stale`, fetched at most once however many callers ask."""
        async with self._lock(url):
            current = self._documents.get(url)
            if current is not None and current is not stale:
                return current
            return await self._fetch(url)

    def _fresh(self, url: str) -> Fetched[T] | None:
        cached = self._documents.get(url)
        if cached is None or cached.fetched_at + self._ttl <= self._clock():
            return None
        return cached

    def _lock(self, url: str) -> asyncio.Lock:
        return self._locks.setdefault(url, asyncio.Lock())

    async def _fetch(self, url: str) -> Fetched[T]:
        value = self._parse(await get_json(self._http, url, self._what), url)
        fetched = Fetched(value, self._clock())
        self._documents[url] = fetched
        return fetched
