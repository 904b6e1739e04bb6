"""Limits per network and action: an IPv4 host or an IPv6 /64, in a window every node shares."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from ciam_oidc.authn.ip_limits import Action, IpLimits, network_of
from ciam_oidc.store.database import Database
from ciam_oidc.store.request_counts import SqlRequestCounter
from tests.support.clock import Clock

WINDOW = timedelta(minutes=10)
LIMITS = {Action.SIGN_IN: 3, Action.MAIL: 1}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def limits(database_url: str, clock: Clock) -> AsyncIterator[IpLimits]:
    database = Database(database_url)
    yield IpLimits(SqlRequestCounter(database), b"ip limits key", LIMITS, WINDOW, clock)
    await database.dispose()


async def use_up(limits: IpLimits, ip: str, action: Action = Action.SIGN_IN) -> None:
    for _ in range(LIMITS[action]):
        assert await limits.wait_before(ip, action) is None


async def test_over_the_limit_the_wait_is_what_is_left_of_the_window(
    limits: IpLimits, clock: Clock
) -> None:
    await use_up(limits, "192.0.2.1")
    clock.advance(timedelta(minutes=4))
    assert await limits.wait_before("192.0.2.1", Action.SIGN_IN) == timedelta(minutes=6)


async def test_the_next_window_starts_afresh(limits: IpLimits, clock: Clock) -> None:
    await use_up(limits, "192.0.2.1")
    clock.advance(WINDOW)
    await use_up(limits, "192.0.2.1")


async def test_each_action_has_its_own_allowance(limits: IpLimits) -> None:
    await use_up(limits, "192.0.2.1", Action.MAIL)
    assert await limits.wait_before("192.0.2.1", Action.MAIL) is not None
    await use_up(limits, "192.0.2.1", Action.SIGN_IN)


async def test_other_addresses_are_not_affected(limits: IpLimits) -> None:
    await use_up(limits, "192.0.2.1")
    await use_up(limits, "192.0.2.2")


async def test_an_ipv6_64_is_one_customer(limits: IpLimits) -> None:
    await use_up(limits, "2001:db8:1:2::1")
    assert await limits.wait_before("2001:db8:1:2:ffff::9", Action.SIGN_IN) is not None
    await use_up(limits, "2001:db8:1:3::1")


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (None, "unknown"),
        ("testclient", "unknown"),
    ],
)
def test_the_network_a_limit_applies_to(ip: str | None, network: str) -> None:
    assert network_of(ip) == network
