"""GET and POST /authorize, /login and /consent: the pages of an authorization request."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.interaction import Interactions, ShowConsent, ShowLogin
from ciam_oidc.protocol.errors import InvalidRequest
from ciam_oidc.web.csrf import FORM_FIELD, CsrfRejected
from ciam_oidc.web.oauth_responses import single_valued, single_valued_form
from ciam_oidc.web.outcomes import OutcomePages
from ciam_oidc.web.session_cookie import SessionCookie

AUTHORIZE_PATH = "/authorize"
_BAD_FORM = ("This page could not be read", "Go back to the application and try again.")
_EXPIRED_FORM = ("This page has expired", "Go back, reload the page and try again.")


def authorize_router(
    interactions: Interactions, outcomes: OutcomePages, cookie: SessionCookie
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

    @router.get(f"{base}/login", include_in_schema=False)
    async def login_page(request: Request) -> Response:
        outcome = await interactions.resume(request.query_params.get("flow", ""))
        if isinstance(outcome, ShowLogin):
            return outcomes.login_page(request, outcome)
        return outcomes.render(request, outcome)

    @router.post(f"{base}/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await _checked_form(request, outcomes, "login")
        if isinstance(form, Response):
            return form
        outcome, new_session = await interactions.submit_login(
            form.get("flow", ""), form, cookie.read(request)
        )
        response = outcomes.render(request, outcome)
        if new_session:
            cookie.write(response, new_session)
        return response

    @router.get(f"{base}/consent", include_in_schema=False)
    async def consent_page(request: Request) -> Response:
        outcome = await interactions.resume(request.query_params.get("flow", ""))
        if isinstance(outcome, ShowConsent):
            return outcomes.consent_page(request, outcome)
        return outcomes.render(request, outcome)

    @router.post(f"{base}/consent", include_in_schema=False)
    async def consent(request: Request) -> Response:
        form = await _checked_form(request, outcomes, "consent")
        if isinstance(form, Response):
            return form
        allow = form.get("decision") == "allow"
        outcome = await interactions.submit_consent(
            form.get("flow", ""), allow, cookie.read(request)
        )
        return outcomes.render(request, outcome)

    return router


async def request_parameters(request: Request) -> dict[str, str]:
    """Query (GET) or form (POST) parameters, each at most once (RFC 6749 §3.1)."""
    if request.method == "POST":
        return await single_valued_form(request)
    return single_valued(request.query_params.multi_items())


async def _checked_form(
    request: Request, outcomes: OutcomePages, purpose: str
) -> dict[str, str] | Response:
    try:
        form = await single_valued_form(request)
    except InvalidRequest:
        return outcomes.pages.error_page(*_BAD_FORM, status_code=400)
    try:
        outcomes.csrf.check(request, form.get(FORM_FIELD), purpose)
    except CsrfRejected:
        return outcomes.pages.error_page(*_EXPIRED_FORM, status_code=403)
    return form
