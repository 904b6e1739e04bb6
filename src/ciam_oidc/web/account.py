"""The signed-in person's own pages under /account, protected by the provider's own session.

Changing how an account signs in (adding a passkey, an authenticator app) is what an attacker
holding a stolen session cookie would do to keep access, so those pages also ask for a recent
sign-in, not merely a live session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.interaction import Interactions
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.protocol.ports import BrowserSession
from ciam_oidc.web.forms import checked_form
from ciam_oidc.web.outcomes import OutcomePages, redirect
from ciam_oidc.web.session_cookie import SessionCookie

ACCOUNT_PATH = "/account"
RECENT_SIGN_IN = timedelta(minutes=15)


class AccountGuard:
    def __init__(
        self,
        sessions: Sessions,
        cookie: SessionCookie,
        base_path: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._cookie = cookie
        self.base_path = base_path
        self._clock = clock

    async def session(
        self, request: Request, *, recent: bool = False, back_to: str | None = None
    ) -> BrowserSession | Response:
        """The browser's session, or a redirect to sign in and come back to this page.

        With `recent`, a sign-in older than RECENT_SIGN_IN counts as none. A form POST cannot
        be repeated by the redirect back, so it returns to `back_to` (its page), or /account.
        """
        now = self._clock()
        session = await self._sessions.find(self._cookie.read(request), now)
        if session is not None and not (
            recent and now - session.authentication.auth_time > RECENT_SIGN_IN
        ):
            return session
        if request.method == "GET":
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            here = back_to or f"{self.base_path}{ACCOUNT_PATH}"
        query = {"next": here, **({"fresh": "1"} if session is not None else {})}
        return redirect(f"{self.base_path}{ACCOUNT_PATH}/login?{urlencode(query)}", 303)

    async def signed_in_form(
        self, request: Request, outcomes: OutcomePages, purpose: str, back_to: str
    ) -> tuple[BrowserSession, dict[str, str]] | Response:
        """A change POSTed from one of the account's pages (`back_to`): the recent session and
        the CSRF-checked form, or the response that refuses it."""
        session = await self.session(request, recent=True, back_to=back_to)
        if isinstance(session, Response):
            return session
        form = await checked_form(request, outcomes, purpose)
        return form if isinstance(form, Response) else (session, form)


def local_path(value: str | None) -> str | None:
    """`value` if it is a path on this site, else None.

    "//host" and "/\\host" are read by browsers as another host, and control characters or
    backslashes can be normalised into either, so all of those are refused.
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if "\\" in value or any(ord(char) < 0x21 or ord(char) == 0x7F for char in value):
        return None
    return value


def account_path(value: str | None, base_path: str) -> str | None:
    """`value` if it is a path under our own /account pages, else None (no open redirect)."""
    prefix = f"{base_path}{ACCOUNT_PATH}"
    path = local_path(value)
    if path is None or not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    return path if rest == "" or rest[0] in "/?" else None


def account_router(
    guard: AccountGuard,
    outcomes: OutcomePages,
    interactions: Interactions,
    account_name: Callable[[str], Awaitable[str]],
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    base = guard.base_path

    @router.get(f"{base}{ACCOUNT_PATH}")
    async def home(request: Request) -> Response:
        session = await guard.session(request)
        if isinstance(session, Response):
            return session
        context = {
            "email": await account_name(session.authentication.sub),
            "base": f"{base}{ACCOUNT_PATH}",
            "logout": f"{base}/logout",
        }
        return outcomes.pages.render("account.html", context)

    @router.get(f"{base}{ACCOUNT_PATH}/login")
    async def sign_in(request: Request) -> Response:
        """Where the guard sends a browser without a (recent enough) sign-in."""
        target = account_path(request.query_params.get("next"), base) or f"{base}{ACCOUNT_PATH}"
        outcome = await interactions.sign_in_to(target, request.query_params.get("fresh") == "1")
        return outcomes.render(request, outcome)

    return router
