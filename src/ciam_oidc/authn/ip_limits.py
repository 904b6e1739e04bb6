"""Limits on what one network may ask for in a window, counted in the database for every node.

The per-account throttle stops guesses at one account; these stop one network from trying
a few passwords on each of many accounts (credential stuffing) and from making us send mail to
many addresses. An IPv6 customer is usually given a whole /64, so an IPv6 client counts as its
/64; an IPv4 one as its own address. The window is fixed: a burst across the edge of two windows
may reach twice the limit, which still bounds the rate. Addresses are stored only as keyed
hashes, and a request over the limit is still counted (one statement, no read-then-write race).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

# Where the address is unknown (no client address, as under some test transports or a Unix
# socket without a proxy header), such requests share one allowance rather than none.
_UNKNOWN_NETWORK = "unknown"
_IPV6_CUSTOMER_PREFIX = 64


class Action(StrEnum):
    SIGN_IN = "sign_in"
    """Submitting any sign-in form, first or second factor."""
    MAIL = "mail"
    """Anything that sends mail to a typed address: registration, password reset, sign-in link,
    email change."""


class RequestCounter(Protocol):
    async def count_request(
        self, key: str, now: datetime, window: timedelta
    ) -> tuple[int, datetime]:
        """Count one request atomically: the window's count so far and when it started."""


@dataclass(frozen=True)
class IpLimits:
    counter: RequestCounter
    key: bytes
    """Keys the stored network addresses, so the table holds no address in clear."""
    limits: Mapping[Action, int]
    window: timedelta
    clock: Callable[[], datetime]

    async def wait_before(self, ip: str | None, action: Action) -> timedelta | None:
        """Count this request; None while within the limit, else how long until the window
        ends and the network may `action` again."""
        now = self.clock()
        key = hmac.new(self.key, f"{action}:{network_of(ip)}".encode(), hashlib.sha256)
        count, started = await self.counter.count_request(key.hexdigest(), now, self.window)
        if count <= self.limits[action]:
            return None
        return started + self.window - now


def network_of(ip: str | None) -> str:
    """The address a limit applies to: an IPv4 host, or the /64 an IPv6 host is in."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return _UNKNOWN_NETWORK
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is the IPv4 host it maps
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network((address, _IPV6_CUSTOMER_PREFIX), strict=False))
    return str(address)
