"""What the connected-apps page reads and revokes: consents and grants per account and client.

Run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from ciam_oidc.protocol.ports import ConsentSummary, GrantSummary
from ciam_oidc.store.consents import SqlConsentStore
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import SqlGrantStore

NOW = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
LATER = NOW + timedelta(days=2)
ALICE, BOB = "sub-alice", "sub-bob"
SHOP, BLOG = "shop", "blog"


@dataclass
class Stores:
    consents: SqlConsentStore
    grants: SqlGrantStore


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[Stores]:
    database = Database(database_url)
    try:
        yield Stores(SqlConsentStore(database), SqlGrantStore(database))
    finally:
        await database.dispose()


async def test_consents_are_listed_per_client_with_every_scope_and_the_first_date(
    stores: Stores,
) -> None:
    await stores.consents.add_consent(ALICE, SHOP, ["openid", "email"], NOW)
    await stores.consents.add_consent(ALICE, SHOP, ["profile"], LATER)
    await stores.consents.add_consent(ALICE, BLOG, ["openid"], LATER)
    await stores.consents.add_consent(BOB, SHOP, ["openid", "phone"], NOW)

    assert await stores.consents.consents_of(ALICE) == [
        ConsentSummary(BLOG, ("openid",), LATER),
        ConsentSummary(SHOP, ("email", "openid", "profile"), NOW),
    ]
    assert await stores.consents.consents_of("sub-nobody") == []


async def test_revoking_a_consent_forgets_that_client_only(stores: Stores) -> None:
    await stores.consents.add_consent(ALICE, SHOP, ["openid", "email"], NOW)
    await stores.consents.add_consent(ALICE, BLOG, ["openid"], NOW)
    await stores.consents.add_consent(BOB, SHOP, ["openid"], NOW)

    assert await stores.consents.revoke_consent(ALICE, SHOP)
    assert not await stores.consents.revoke_consent(ALICE, SHOP)
    assert await stores.consents.consented_scope(ALICE, SHOP) == frozenset()
    assert await stores.consents.consented_scope(ALICE, BLOG) == {"openid"}
    assert await stores.consents.consented_scope(BOB, SHOP) == {"openid"}


async def test_only_live_grants_are_listed_newest_first(stores: Stores) -> None:
    await stores.grants.create_grant("g-old", SHOP, ALICE, NOW)
    await stores.grants.create_grant("g-new", SHOP, ALICE, LATER)
    await stores.grants.create_grant("g-revoked", BLOG, ALICE, NOW)
    await stores.grants.create_grant("g-bob", SHOP, BOB, NOW)
    await stores.grants.revoke_grant("g-revoked", LATER)

    assert await stores.grants.grants_of(ALICE) == [
        GrantSummary("g-new", SHOP, LATER),
        GrantSummary("g-old", SHOP, NOW),
    ]


async def test_revoking_a_clients_grants_leaves_other_clients_and_accounts_alone(
    stores: Stores,
) -> None:
    for grant_id, client_id, sub in [
        ("g-1", SHOP, ALICE),
        ("g-2", SHOP, ALICE),
        ("g-blog", BLOG, ALICE),
        ("g-bob", SHOP, BOB),
    ]:
        await stores.grants.create_grant(grant_id, client_id, sub, NOW)

    assert await stores.grants.revoke_client_grants(ALICE, SHOP, LATER) == 2
    assert await stores.grants.revoke_client_grants(ALICE, SHOP, LATER) == 0
    assert not await stores.grants.grant_is_active("g-1")
    assert not await stores.grants.grant_is_active("g-2")
    assert await stores.grants.grant_is_active("g-blog")
    assert await stores.grants.grant_is_active("g-bob")
