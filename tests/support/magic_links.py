"""The magic link method wired to real stores on a test database, for authn and web tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from ciam_oidc.authn.authenticators import Attempt, Result
from ciam_oidc.authn.authenticators.magic_link import MagicLinkAuthenticator
from ciam_oidc.authn.mail import BackgroundMailer
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.crypto.secrets import new_secret
from ciam_oidc.protocol.users import User, UserRequest, new_user
from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database
from ciam_oidc.store.mail_links import SqlMagicLinkStore
from ciam_oidc.store.mailbox import DevMailbox
from ciam_oidc.store.users import SqlUserStore
from tests.support.clock import Clock

ISSUER = "http://localhost:8000"
FLOW = "flow-1"
DEVICE = new_secret()
TTL = timedelta(minutes=10)
MAX_REQUESTS = 3
_LINK = re.compile(r"https?://\S+")


@dataclass
class MagicLinks:
    method: MagicLinkAuthenticator
    outbox: BackgroundMailer
    mailbox: DevMailbox
    users: SqlUserStore
    database: Database
    clock: Clock

    async def add_user(self, email: str, *, disabled: bool = False) -> User:
        user = replace(new_user(UserRequest(email), None, self.clock()), disabled=disabled)
        await self.users.add_user(user)
        return user

    async def ask(self, email: str, flow_id: str = FLOW, device: str = DEVICE) -> Result:
        """Ask for a link as the sign-in page would, and let the mail go out."""
        result = await self.method.verify(Attempt(flow_id, None, device=device), {"email": email})
        await self.outbox.drain()
        return result

    async def redeem(self, token: str, flow_id: str = FLOW) -> Result:
        return await self.method.verify(Attempt(flow_id, None, device=DEVICE), {"token": token})

    async def latest_token(self) -> str:
        """The token in the newest mail's link."""
        newest = (await self.mailbox.list(limit=1))[0]
        found = _LINK.search(newest.text)
        assert found is not None, "the mail holds no link"
        return parse_qs(urlsplit(found.group()).query)["token"][0]


def authenticator(
    database: Database, outbox: BackgroundMailer, clock: Clock
) -> MagicLinkAuthenticator:
    throttle = LoginThrottle(
        SqlFailureCounter(database), b"throttle-key", MAX_REQUESTS, timedelta(minutes=15), clock
    )
    return MagicLinkAuthenticator(
        users=SqlUserStore(database),
        links=SqlMagicLinkStore(database),
        mailer=outbox,
        throttle=throttle,
        base_url=ISSUER,
        ttl=TTL,
        clock=clock,
    )


@asynccontextmanager
async def magic_links(database_url: str) -> AsyncIterator[MagicLinks]:
    """Mail lands in the dev mailbox of the same database."""
    database = Database(database_url)
    clock = Clock()
    mailbox = DevMailbox(database, clock)
    outbox = BackgroundMailer(mailbox)
    try:
        yield MagicLinks(
            authenticator(database, outbox, clock),
            outbox,
            mailbox,
            SqlUserStore(database),
            database,
            clock,
        )
    finally:
        await outbox.aclose()
        await database.dispose()
