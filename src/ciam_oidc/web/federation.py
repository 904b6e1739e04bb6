"""Upstream identity providers in the browser: the sign-in page's "Continue with ..." buttons,
the callback each upstream sends the browser back to, and the account's connections page.

- POST {base}/login/upstream (fields `flow`, `upstream`, the sign-in page's CSRF token)
  answers 303 to the upstream's authorization endpoint, or the sign-in page saying why not.
- GET or POST {base}/federation/{id}/callback finishes it: the sign-in goes on signed in, or
  the sign-in page of the same flow says what went wrong, so another way can be chosen.
- {base}/account/connections lists the linked identities; POST .../link (field `upstream`)
  and .../unlink (fields `issuer`, `subject`) need a recent sign-in and the page's CSRF token.

A callback is matched to its redirect by `state` and to the browser by its device cookie. An
upstream answering with `response_mode=form_post` (Apple) posts the callback from its own
site, and browsers send no SameSite=Lax cookie with a cross-site POST. So a POST without the
device cookie gets a small page that posts the same fields to the same URL again, from our
own origin, where the cookies come along: pressed by a static script, or by the person when
scripts are off. A repost is marked, so a browser that keeps no cookies at all gets the
"could not be completed" page rather than a loop.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.federation import (
    CALLBACK_PATH,
    Callback,
    CallbackRefused,
    Federation,
    UpstreamFailed,
    failure_message,
)
from ciam_oidc.authn.interaction import Interactions
from ciam_oidc.authn.ip_limits import Action
from ciam_oidc.authn.upstream_links import LinkResult, UnlinkResult, UpstreamLinks
from ciam_oidc.authn.upstreams import UpstreamError, UpstreamFailure
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.protocol.errors import InvalidRequest
from ciam_oidc.web.account import ACCOUNT_PATH, AccountGuard
from ciam_oidc.web.authorize import request_parameters
from ciam_oidc.web.device_cookie import DeviceCookie
from ciam_oidc.web.forms import checked_form
from ciam_oidc.web.outcomes import UPSTREAM_START_PATH, OutcomePages, redirect, upstream_button
from ciam_oidc.web.rate_limits import RateLimits
from ciam_oidc.web.security_headers import page_policy
from ciam_oidc.web.session_cookie import SessionCookie
from ciam_oidc.web.visitor import visitor_of

log = logging.getLogger(__name__)

CONNECTIONS_PATH = f"{ACCOUNT_PATH}/connections"
CSRF_PURPOSE = "account-connections"
# Marks a callback posted again from our own page (see the module docstring).
REPOSTED = "ciam_reposted"
_NOT_COMPLETED = (
    N_("This sign-in could not be completed"),
    N_(
        "It was started in another browser, has expired, or was already used. "
        "Go back to the application and start again."
    ),
)
_SESSION_CHANGED = N_("You signed out or in as someone else meanwhile. Nothing was connected.")
_CANNOT_CONNECT = N_("That way to sign in cannot be connected here.")
# Notices are chosen by key, so the query string cannot put words on the page.
_NOTICES = {
    LinkResult.LINKED: N_("Connected. You can now sign in with it."),
    LinkResult.ALREADY_LINKED: N_("That account was already connected."),
    UnlinkResult.UNLINKED: N_("Disconnected. It no longer signs you in here."),
}
_ERRORS = {
    LinkResult.LINKED_ELSEWHERE: N_(
        "That account already signs in to another account here. Sign in to that one and "
        "disconnect it there first."
    ),
    UnlinkResult.GONE: N_("That connection is not in your account (any more)."),
    UnlinkResult.LAST_WAY_IN: N_(
        "This is the only way you can sign in, so it cannot be disconnected. Set a password "
        "or add a passkey first."
    ),
}


def federation_router(
    interactions: Interactions,
    federation: Federation,
    links: UpstreamLinks,
    outcomes: OutcomePages,
    guard: AccountGuard,
    cookie: SessionCookie,
    device: DeviceCookie,
    limits: RateLimits,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    base = outcomes.base_path
    page = f"{base}{CONNECTIONS_PATH}"

    @router.post(f"{base}{UPSTREAM_START_PATH}")
    async def start(request: Request) -> Response:
        form = await checked_form(request, outcomes, "login")
        if isinstance(form, Response):
            return form
        refused = await limits.admit(request, Action.SIGN_IN)
        if refused is not None:
            return refused
        browser, new = device.read_or_new(request)
        outcome = await interactions.start_upstream(
            form.get("flow", ""), form.get("upstream", ""), browser
        )
        response = outcomes.render(request, outcome)
        if new:
            device.write(response, browser)
        return response

    @router.api_route(f"{base}{CALLBACK_PATH}", methods=["GET", "POST"])
    async def callback(request: Request, upstream_id: str) -> Response:
        try:
            params = await request_parameters(request)
        except InvalidRequest:
            return outcomes.pages.error_page(*_NOT_COMPLETED, status_code=400)
        refused = await limits.admit(request, Action.SIGN_IN)
        if refused is not None:
            return refused
        browser = device.read(request)
        reposted = params.pop(REPOSTED, None) is not None
        if request.method == "POST" and browser is None and not reposted:
            return repost(request, params)
        try:
            finished = await federation.callback(upstream_id, params, browser or "")
        except CallbackRefused:
            return outcomes.pages.error_page(*_NOT_COMPLETED, status_code=400)
        except UpstreamFailed as failed:
            # What went wrong is for the operator (never a token or secret: UpstreamError).
            cancelled = failed.error.failure is UpstreamFailure.CANCELLED
            level = logging.INFO if cancelled else logging.WARNING
            log.log(level, "sign-in through %s failed: %s", upstream_id, failed.error)
            if failed.pending.sub is not None:
                sub = await account_of(request, failed.pending.sub)
                if isinstance(sub, Response):
                    return sub
                return await show(request, sub, error=failed.message)
            outcome = await interactions.upstream_failed(
                failed.pending.flow_id or "", failed.message, browser or ""
            )
            return outcomes.render(request, outcome)
        if finished.pending.sub is not None:
            return await linked(request, finished)
        outcome, new_session = await interactions.signed_in_upstream(
            finished, cookie.read(request), browser or "", visitor_of(request)
        )
        response = outcomes.render(request, outcome)
        if new_session:
            cookie.write(response, new_session)
        return response

    def repost(request: Request, params: dict[str, str]) -> Response:
        context = {"action": request.url.path, "fields": {**params, REPOSTED: "1"}}
        # Its script comes from /static; the callback it posts to redirects to the client.
        policy = {"Content-Security-Policy": page_policy(forms_leave_site=True)}
        return outcomes.pages.render("federation_repost.html", context, headers=policy)

    async def account_of(request: Request, sub: str) -> str | Response:
        """`sub` if this browser is still signed in to it, else the page to answer with."""
        session = await guard.session(request)
        if isinstance(session, Response):
            return session
        if session.authentication.sub != sub:
            return outcomes.pages.error_page(_NOT_COMPLETED[0], _SESSION_CHANGED, 400)
        return sub

    async def linked(request: Request, finished: Callback) -> Response:
        """The end of connecting an upstream from the account page, in the same browser and
        still signed in to the account that started it."""
        sub = await account_of(request, finished.pending.sub or "")
        if isinstance(sub, Response):
            return sub
        result = await links.link(sub, finished.identity, visitor_of(request).ip)
        if result in _ERRORS:
            return await show(request, sub, error=_ERRORS[result])
        return redirect(f"{page}?done={result.value}", 302 if request.method == "GET" else 303)

    async def show(
        request: Request, sub: str, *, notice: str | None = None, error: str | None = None
    ) -> Response:
        connections = await links.connections(sub)
        context = {
            "page": page,
            "account": f"{base}{ACCOUNT_PATH}",
            "linked": connections.linked,
            "available": [upstream_button(choice) for choice in connections.available],
            "notice": notice and gettext(notice),
            "error": error and gettext(error),
        }
        response = outcomes.form_page(
            request,
            CSRF_PURPOSE,
            "account_connections.html",
            context,
            upstreams=connections.available,
        )
        if error:
            response.status_code = 400
        return response

    @router.get(page)
    async def list_connections(request: Request) -> Response:
        session = await guard.session(request, recent=True)
        if isinstance(session, Response):
            return session
        done = request.query_params.get("done", "")
        notice = next((words for key, words in _NOTICES.items() if key.value == done), None)
        return await show(request, session.authentication.sub, notice=notice)

    @router.post(f"{page}/link")
    async def link(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, CSRF_PURPOSE, page)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        sub = session.authentication.sub
        browser, new = device.read_or_new(request)
        available = (await links.connections(sub)).available
        choice = next((c for c in available if c.id == form.get("upstream")), None)
        if choice is None:
            return await show(request, sub, error=_CANNOT_CONNECT)
        try:
            url = await federation.begin(choice.id, browser, sub=sub)
        except UpstreamError as error:
            return await show(request, sub, error=failure_message(error.failure, choice.name))
        response = redirect(url, 303)
        if new:
            device.write(response, browser)
        return response

    @router.post(f"{page}/unlink")
    async def unlink(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, CSRF_PURPOSE, page)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        sub = session.authentication.sub
        result = await links.unlink(
            sub, form.get("issuer", ""), form.get("subject", ""), visitor_of(request).ip
        )
        if result in _ERRORS:
            return await show(request, sub, error=_ERRORS[result])
        return redirect(f"{page}?done={result.value}", 303)

    return router
