"""Logout tests run under an https issuer (production cookies), with a relying party whose
back-channel endpoint is a real HTTP listener on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from ciam_oidc.app import Provider, build_provider
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.authorization_codes import issue_authorization_code, new_grant_id
from ciam_oidc.protocol.authorizations import Authentication, Authorization
from ciam_oidc.protocol.ports import BrowserSession
from ciam_oidc.settings import Settings
from ciam_oidc.store.grants import SqlGrantStore
from ciam_oidc.store.sessions import SqlSessionStore
from tests.spec.browser import REDIRECT_URI, Browser, add_customer
from tests.spec.http import http_client
from tests.spec.logout.listener import BackChannelListener

ISSUER = "https://id.example.com"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"issuer": ISSUER}


@pytest.fixture
async def provider(settings: Settings) -> AsyncIterator[Provider]:
    """A provider whose delivery task is not running, so a test drives delivery itself; the
    `app` fixture's provider runs its own."""
    provider = build_provider(settings)
    await provider.ensure_ready()
    try:
        yield provider
    finally:
        await provider.close()


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with http_client(app, ISSUER) as http:
        yield Browser(http)


@pytest.fixture
def listener() -> Iterator[BackChannelListener]:
    with BackChannelListener(failures=1) as server:
        yield server


@pytest.fixture
async def alice(provider: Provider) -> str:
    return await add_customer(provider)


async def signed_in_session(provider: Provider, sub: str, *client_ids: str) -> BrowserSession:
    """A browser session in which each client was issued a code (and so an ID token), as the
    authorization endpoint leaves it."""
    sessions = Sessions(SqlSessionStore(provider.database), timedelta(hours=1))
    grants = SqlGrantStore(provider.database)
    now = utc_now()
    _, session = await sessions.start(Authentication(sub, now, "1", ("pwd",)), now)
    for client_id in client_ids:
        authorization = Authorization(
            grant_id=new_grant_id(),
            client_id=client_id,
            authentication=session.authentication,
            scope=("openid",),
            redirect_uri=REDIRECT_URI,
            nonce=None,
            code_challenge=None,
            claims=None,
            session_id=session.id,
        )
        await issue_authorization_code(grants, grants, authorization, now, 60)
    return session
