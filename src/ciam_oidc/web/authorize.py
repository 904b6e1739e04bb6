"""GET and POST /authorize, /login and /consent: the pages of an authorization request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.interaction import Interactions
from ciam_oidc.authn.ip_limits import Action
from ciam_oidc.i18n import N_
from ciam_oidc.protocol.authorization.third_party_login import initiate_login_url
from ciam_oidc.protocol.errors import InvalidRequest
from ciam_oidc.web.device_cookie import DeviceCookie
from ciam_oidc.web.forms import checked_form
from ciam_oidc.web.oauth_responses import single_valued, single_valued_form
from ciam_oidc.web.outcomes import OutcomePages, redirect
from ciam_oidc.web.rate_limits import RateLimits
from ciam_oidc.web.session_cookie import SessionCookie
from ciam_oidc.web.visitor import visitor_of

AUTHORIZE_PATH = "/authorize"
INITIATE_LOGIN_PATH = "/login/initiate"
_BAD_FORM = (N_("This page could not be read"), N_("Go back to the application and try again."))
_NO_THIRD_PARTY_LOGIN = (
    N_("This sign-in link cannot be used"),
    N_("Return to the application and start again."),
)


@dataclass(frozen=True)
class LoginSubmission:
    """Answers a sign-in method's form; also what an emailed link's confirmation submits.

    The network's limit is counted first: a refused request reaches no sign-in method.
    """

    interactions: Interactions
    outcomes: OutcomePages
    cookie: SessionCookie
    device: DeviceCookie
    limits: RateLimits

    async def __call__(self, request: Request, flow_id: str, form: Mapping[str, str]) -> Response:
        refused = await self.limits.admit(request, _action_of(form))
        if refused is not None:
            return refused
        browser, new = self.device.read_or_new(request)
        outcome, new_session = await self.interactions.submit_login(
            flow_id, form, self.cookie.read(request), browser, visitor_of(request)
        )
        response = self.outcomes.render(request, outcome)
        if new_session:
            self.cookie.write(response, new_session)
        if new:
            self.device.write(response, browser)
        return response


def authorize_router(
    interactions: Interactions,
    outcomes: OutcomePages,
    cookie: SessionCookie,
    device: DeviceCookie,
    limits: RateLimits,
) -> APIRouter:
    router = APIRouter(tags=["oauth"])
    base = outcomes.base_path

    @router.api_route(
        f"{base}{AUTHORIZE_PATH}", methods=["GET", "POST"], summary="Authorization endpoint"
    )
    async def authorize(request: Request) -> Response:
        """OpenID Connect Core §3.1.2.1: GET and POST must both be supported."""
        try:
            params = await request_parameters(request)
        except InvalidRequest:
            return outcomes.pages.error_page(*_BAD_FORM, status_code=400)
        outcome = await interactions.authorize(params, cookie.read(request))
        return outcomes.render(request, outcome)

    @router.get(f"{base}{INITIATE_LOGIN_PATH}", summary="Third-party initiated login")
    async def initiate_login(request: Request) -> Response:
        """OpenID Connect Core §4: send the browser to the client, which asks us to sign in."""
        try:
            params = single_valued(request.query_params.multi_items())
        except InvalidRequest:
            return outcomes.pages.error_page(*_BAD_FORM, status_code=400)
        client_id = params.get("client_id")
        client = await interactions.clients.get_client(client_id) if client_id else None
        url = client and initiate_login_url(
            client, interactions.issuer, params.get("target_link_uri"), params.get("login_hint")
        )
        if not url:
            return outcomes.pages.error_page(*_NO_THIRD_PARTY_LOGIN, status_code=400)
        return redirect(url, 303)

    @router.get(f"{base}/login", include_in_schema=False)
    @router.get(f"{base}/consent", include_in_schema=False)
    async def flow_page(request: Request) -> Response:
        """The page the flow waits on, whichever of the two was asked for."""
        browser, new = device.read_or_new(request)
        outcome = await interactions.resume(
            request.query_params.get("flow", ""), cookie.read(request), browser
        )
        response = outcomes.render(request, outcome)
        if new:
            device.write(response, browser)
        return response

    @router.post(f"{base}/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await checked_form(request, outcomes, "login")
        if isinstance(form, Response):
            return form
        return await LoginSubmission(interactions, outcomes, cookie, device, limits)(
            request, form.get("flow", ""), form
        )

    @router.post(f"{base}/consent", include_in_schema=False)
    async def consent(request: Request) -> Response:
        form = await checked_form(request, outcomes, "consent")
        if isinstance(form, Response):
            return form
        allow = form.get("decision") == "allow"
        outcome = await interactions.submit_consent(
            form.get("flow", ""), allow, cookie.read(request), visitor_of(request)
        )
        return outcomes.render(request, outcome)

    return router


def _action_of(form: Mapping[str, str]) -> Action:
    """Asking for an emailed link sends mail; every other sign-in form is a sign-in attempt."""
    if form.get("method") == "magic_link" and not form.get("token"):
        return Action.MAIL
    return Action.SIGN_IN


async def request_parameters(request: Request) -> dict[str, str]:
    """Query (GET) or form (POST) parameters, each at most once (RFC 6749 §3.1)."""
    if request.method == "POST":
        return await single_valued_form(request)
    return single_valued(request.query_params.multi_items())
