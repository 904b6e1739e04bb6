"""What a deleted account leaves in other tables, erased: `authn.account.AccountTraces`.

The account's own row is deleted by the UserStore, and the rows that reference it by foreign
key (TOTP credentials, recovery codes, passkeys, password reset and email change links, linked
upstream identities) go with it. The rows below name the account without a foreign key, so they
are deleted here by `sub`.

Kept on purpose: audit events (detached from the account by `AuditStore.forget`), login
throttle counters (keyed by an HMAC of the identifier, gone when their window ends) and the
development mailbox (never enabled on a public deployment).
"""

from __future__ import annotations

from sqlalchemy import Delete, delete

from ciam_oidc.store.consents import ConsentRow
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import GrantRow
from ciam_oidc.store.login_flows import LoginFlowRow
from ciam_oidc.store.mail_links import MagicLinkRow
from ciam_oidc.store.passkeys import PasskeyChallengeRow
from ciam_oidc.store.sessions import BrowserSessionRow
from ciam_oidc.store.upstreams import UpstreamRedirectRow


class SqlAccountTraces:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def erase_traces(self, sub: str) -> None:
        statements: list[Delete] = [
            delete(ConsentRow).where(ConsentRow.sub == sub),
            # Its authorization codes and refresh tokens go with each grant (ON DELETE CASCADE).
            delete(GrantRow).where(GrantRow.sub == sub),
            delete(BrowserSessionRow).where(BrowserSessionRow.sub == sub),
            delete(MagicLinkRow).where(MagicLinkRow.sub == sub),
            delete(PasskeyChallengeRow).where(PasskeyChallengeRow.sub == sub),
            # A redirect to an upstream started from the account page, to link an identity.
            delete(UpstreamRedirectRow).where(UpstreamRedirectRow.sub == sub),
            # A sign-in in progress remembers who it identified, inside its JSON state.
            delete(LoginFlowRow).where(LoginFlowRow.state["sub"].as_string() == sub),
        ]
        async with self._sessions.begin() as db:
            for statement in statements:
                await db.execute(statement)
