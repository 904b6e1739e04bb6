"""GET and POST /logout: the end_session_endpoint of RP-Initiated Logout 1.0.

Signing out without asking is safe only when the request proves it comes from the relying
party the person signed in to: an id_token_hint for the signed-in subject. Anything else gets a
confirmation form with a CSRF token, so a third-party page cannot sign people out (§2).

Ending the session tells the clients signed in through it: back-channel logout is queued, and
front-channel logout happens on the page answering this request (authn/logout_channels.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.logout_channels import LogoutChannels
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.i18n import N_
from ciam_oidc.protocol.end_session import LogoutRequest, check_logout_request
from ciam_oidc.protocol.errors import InvalidRequest
from ciam_oidc.protocol.ports import ClientStore
from ciam_oidc.protocol.subjects import Subjects
from ciam_oidc.web.authorize import request_parameters
from ciam_oidc.web.csrf import FORM_FIELD, CsrfRejected
from ciam_oidc.web.forms import EXPIRED_FORM
from ciam_oidc.web.outcomes import OutcomePages, redirect
from ciam_oidc.web.security_headers import image_source, page_policy
from ciam_oidc.web.session_cookie import SessionCookie

END_SESSION_PATH = "/logout"
_FORWARDED = ("client_id", "post_logout_redirect_uri", "state", "id_token_hint")
_INVALID = N_("This sign-out link is not valid")


def end_session_router(
    clients: ClientStore,
    keyring: KeyRing,
    sessions: Sessions,
    issuer: str,
    outcomes: OutcomePages,
    cookie: SessionCookie,
    clock: Callable[[], datetime],
    channels: LogoutChannels,
    subjects: Subjects,
) -> APIRouter:
    router = APIRouter(tags=["oidc"])
    action = f"{outcomes.base_path}{END_SESSION_PATH}"

    @router.api_route(action, methods=["GET", "POST"], summary="RP-initiated logout")
    async def end_session(request: Request) -> Response:
        try:
            params = await request_parameters(request)
            logout_request = await check_logout_request(params, clients, keyring, issuer)
        except InvalidRequest as error:
            return outcomes.pages.error_page(_INVALID, error.description, 400)
        session = await sessions.find(cookie.read(request), clock())
        confirmed = request.method == "POST" and params.get("confirm") == "yes"
        if confirmed:
            try:
                outcomes.csrf.check(request, params.get(FORM_FIELD), "logout")
            except CsrfRejected:
                return outcomes.pages.error_page(*EXPIRED_FORM, 403)
        proven = session is not None and logout_request.names(session.authentication.sub, subjects)
        if session is not None and not (confirmed or proven):
            return _confirmation(request, outcomes, logout_request, params, action)
        ended = await sessions.end(cookie.read(request), clock())
        frames = await channels.session_ended(ended.authentication.sub, ended.id) if ended else ()
        response = _signed_out(outcomes, logout_request, frames)
        cookie.clear(response)
        return response

    return router


def _confirmation(
    request: Request,
    outcomes: OutcomePages,
    logout: LogoutRequest,
    params: dict[str, str],
    action: str,
) -> Response:
    issued = outcomes.csrf.issue(request, "logout")
    context = {
        "action": action,
        "client_name": logout.client.name if logout.client else None,
        "parameters": {name: params[name] for name in _FORWARDED if params.get(name)},
        "csrf_token": issued.token,
    }
    uri = logout.post_logout_redirect_uri
    headers = {"Content-Security-Policy": page_policy(forms_leave_site=True)} if uri else None
    response = outcomes.pages.render("logout.html", context, headers=headers)
    outcomes.csrf.set_cookie(response, issued)
    return response


def _signed_out(
    outcomes: OutcomePages, logout: LogoutRequest, frontchannel_urls: tuple[str, ...]
) -> Response:
    """Straight back to the client, unless relying parties must first be told in the browser
    (Front-Channel Logout 1.0 §4): then a page whose iframes do that and which moves on."""
    origins = {url: image_source(url) for url in frontchannel_urls}
    frames = [url for url, origin in origins.items() if origin is not None]
    if logout.return_url and not frames:
        return redirect(logout.return_url, 303)
    context = {"frontchannel_urls": frames, "return_url": logout.return_url}
    headers = {"Content-Security-Policy": _frame_policy(origins.values())} if frames else None
    return outcomes.pages.render("signed_out.html", context, headers=headers)


def _frame_policy(origins: Iterable[str | None]) -> str:
    """Our page policy (scripts from /static only), letting frames load from the relying
    parties' origins and nothing else."""
    sources = " ".join(sorted({origin for origin in origins if origin is not None}))
    return f"{page_policy()}; frame-src {sources}"
