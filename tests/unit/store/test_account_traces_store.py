"""Erasing what a deleted account leaves outside its own row, and nothing of anyone else's.

Run unchanged on SQLite and PostgreSQL; the tables are read directly, as an auditor would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ciam_oidc.authn.authenticators.magic_link import MagicLink
from ciam_oidc.authn.flows import LoginFlow, Step
from ciam_oidc.authn.upstreams import PendingRedirect, UpstreamRequest
from ciam_oidc.protocol.authorizations import Authentication, Authorization, RefreshTokenRecord
from ciam_oidc.protocol.ports import BrowserSession
from ciam_oidc.store.account_traces import SqlAccountTraces
from ciam_oidc.store.consents import SqlConsentStore
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import SqlGrantStore
from ciam_oidc.store.login_flows import SqlLoginFlowStore
from ciam_oidc.store.mail_links import SqlMagicLinkStore
from ciam_oidc.store.passkeys import SqlPasskeyStore
from ciam_oidc.store.sessions import SqlSessionStore
from ciam_oidc.store.upstreams import SqlPendingRedirectStore

NOW = datetime(2026, 3, 29, 1, 30, 15, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
ALICE, BOB = "sub-alice", "sub-bob"
# Tables that name an account without a foreign key to it, and the column that does.
BY_SUB = (
    "consents",
    "grants",
    "browser_sessions",
    "magic_links",
    "passkey_challenges",
    "upstream_redirects",
)


async def leave_traces(database: Database, sub: str) -> None:
    """What a signed-in person with a connected app leaves behind, one row per table."""
    authentication = Authentication(sub, NOW, "1", ("pwd",))
    grants = SqlGrantStore(database)
    await SqlConsentStore(database).add_consent(sub, "shop", ["openid"], NOW)
    await grants.create_grant(f"grant-{sub}", "shop", sub, NOW)
    authorization = Authorization(
        grant_id=f"grant-{sub}",
        client_id="shop",
        authentication=authentication,
        scope=("openid",),
        redirect_uri="https://shop.example/cb",
        nonce=None,
        code_challenge=None,
        claims=None,
        session_id=None,
    )
    await grants.save_code(f"code-{sub}", authorization, LATER)
    await grants.save_refresh_token(
        f"refresh-{sub}",
        RefreshTokenRecord(f"grant-{sub}", "shop", authentication, ("openid",), NOW, LATER),
    )
    session = BrowserSession(f"sid-{sub}", authentication, NOW, LATER, "Firefox")
    await SqlSessionStore(database).start_session(f"cookie-{sub}", session)
    await SqlMagicLinkStore(database).add_link(
        MagicLink(f"link-{sub}", f"flow-{sub}", sub, "device", NOW, LATER)
    )
    await SqlPasskeyStore(database).save_challenge(f"challenge-{sub}", sub, LATER)
    request = UpstreamRequest(f"state-{sub}", "nonce", "verifier", "https://id.example/cb")
    linking = PendingRedirect("google", request, "device", sub=sub)
    await SqlPendingRedirectStore(database).add_pending(f"state-{sub}", linking, LATER)
    flow = LoginFlow(f"flow-{sub}", {}, Step.AUTHENTICATE, 1, sub=sub)
    await SqlLoginFlowStore(database).create_flow(flow.id, flow.state(), NOW, LATER)


async def rows(database: Database, table: str, where: str, **values: str) -> int:
    async with database.sessions() as db:
        found = await db.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}"), values)  # noqa: S608
        return int(found or 0)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        await leave_traces(database, ALICE)
        await leave_traces(database, BOB)
        anonymous = LoginFlow("flow-anonymous", {}, Step.AUTHENTICATE, 1)
        await SqlLoginFlowStore(database).create_flow(anonymous.id, anonymous.state(), NOW, LATER)
        yield database
    finally:
        await database.dispose()


async def test_every_trace_of_the_account_is_erased(database: Database) -> None:
    await SqlAccountTraces(database).erase_traces(ALICE)

    for table in BY_SUB:
        assert await rows(database, table, "sub = :sub", sub=ALICE) == 0, table
    for table in ("authorization_codes", "refresh_tokens"):
        assert await rows(database, table, "grant_id = :id", id=f"grant-{ALICE}") == 0, table
    assert await rows(database, "login_flows", "id = :id", id=f"flow-{ALICE}") == 0


async def test_other_peoples_rows_stay(database: Database) -> None:
    await SqlAccountTraces(database).erase_traces(ALICE)

    for table in BY_SUB:
        assert await rows(database, table, "sub = :sub", sub=BOB) == 1, table
    for table in ("authorization_codes", "refresh_tokens"):
        assert await rows(database, table, "grant_id = :id", id=f"grant-{BOB}") == 1, table
    for flow_id in (f"flow-{BOB}", "flow-anonymous"):
        assert await rows(database, "login_flows", "id = :id", id=flow_id) == 1


async def test_erasing_twice_is_harmless(database: Database) -> None:
    traces = SqlAccountTraces(database)
    await traces.erase_traces(ALICE)
    await traces.erase_traces(ALICE)
    assert await rows(database, "grants", "sub = :sub", sub=BOB) == 1
