"""Passkeys wired to real stores on a test database, for the authn, store and web tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ciam_oidc.authn.authenticators import Attempt, Result
from ciam_oidc.authn.authenticators.passkey import PasskeyAuthenticator
from ciam_oidc.authn.passkeys import Passkey, Passkeys
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.protocol.users import UserRequest, new_user
from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database
from ciam_oidc.store.passkeys import SqlPasskeyStore
from ciam_oidc.store.users import SqlUserStore
from tests.support.clock import Clock
from tests.support.soft_authenticator import SoftAuthenticator

RP_ID = "localhost"
ORIGIN = "http://localhost"
MAX_FAILURES = 3


@dataclass
class PasskeySetup:
    database: Database
    store: SqlPasskeyStore
    users: SqlUserStore
    passkeys: Passkeys
    method: PasskeyAuthenticator
    clock: Clock

    async def add_user(self, email: str) -> str:
        user = new_user(UserRequest(email), None, self.clock())
        await self.users.add_user(user)
        return user.sub

    async def register(self, sub: str, device: SoftAuthenticator, name: str = "") -> Passkey:
        options = await self.passkeys.registration_options(sub, f"{sub}@example.com", "A person")
        return await self.passkeys.register(sub, json.dumps(device.create(options, ORIGIN)), name)

    async def begin(self, sub: str | None = None) -> tuple[Attempt, str]:
        """Show the sign-in page: the attempt as the flow hands it back with the answer, and
        the options JSON the page carried."""
        prompt = await self.method.begin(Attempt("flow-1", sub))
        assert prompt.pending is not None
        return Attempt("flow-1", sub, pending=prompt.pending), str(prompt.context["options_json"])

    async def answer(self, attempt: Attempt, credential: dict[str, Any]) -> Result:
        return await self.method.verify(attempt, {"credential": json.dumps(credential)})

    async def sign_in(
        self,
        device: SoftAuthenticator,
        sub: str | None = None,
        *,
        origin: str = ORIGIN,
        **knobs: Any,
    ) -> Result:
        """Begin, let `device` answer (`knobs` make broken answers), verify."""
        attempt, options = await self.begin(sub)
        return await self.answer(attempt, device.get(options, origin, **knobs))


@asynccontextmanager
async def passkey_setup(database_url: str) -> AsyncIterator[PasskeySetup]:
    database = Database(database_url)
    clock = Clock()
    store = SqlPasskeyStore(database)
    passkeys = Passkeys(store, RP_ID, "ciam-oidc tests", [ORIGIN], clock)
    throttle = LoginThrottle(
        SqlFailureCounter(database), b"throttle-key", MAX_FAILURES, timedelta(minutes=15), clock
    )
    try:
        yield PasskeySetup(
            database=database,
            store=store,
            users=SqlUserStore(database),
            passkeys=passkeys,
            method=PasskeyAuthenticator(passkeys, throttle),
            clock=clock,
        )
    finally:
        await database.dispose()
