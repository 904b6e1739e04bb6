"""{base}/register: creating an account in the middle of a sign-in, and confirming its address.

GET /register?flow=ID shows the form when the flow's client allows registration (OpenID
Connect's prompt=create lands here too); POST answers with the page where the emailed code is
typed, the same page for every address (authn/registration.py says why). POST
/register/verify checks the code, creates the account and continues the sign-in it started
from, signed in. The mailed link opens GET /register/verify, a page that asks to confirm and
never acts by itself: mail scanners fetch every link they see.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.interaction import Interactions
from ciam_oidc.authn.ip_limits import Action
from ciam_oidc.authn.outcomes import ShowError
from ciam_oidc.authn.registration import (
    CODE_DIGITS,
    DEAD_CODE,
    VERIFY_PATH,
    CodeSent,
    Refused,
    Registrations,
    SignUp,
    WrongCode,
)
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.web.forms import checked_form
from ciam_oidc.web.outcomes import OutcomePages
from ciam_oidc.web.rate_limits import RateLimits
from ciam_oidc.web.session_cookie import SessionCookie
from ciam_oidc.web.visitor import visitor_of

REGISTER_PATH = "/register"
_REGISTER = "register"
_VERIFY = "register-verify"
_UNAVAILABLE = (
    N_("Creating an account is not possible here"),
    N_(
        "This application does not let you create an account, or the sign-in you started has "
        "expired. Go back to the application and try again."
    ),
)
_NO_MAIL = (
    N_("Creating an account is not possible right now"),
    N_(
        "We cannot send email at the moment, and we need to confirm your address. "
        "Please try again later."
    ),
)
_CODE_UNUSABLE = N_("This code cannot be used")


def registration_router(
    outcomes: OutcomePages,
    interactions: Interactions,
    registrations: Registrations | None,
    cookie: SessionCookie,
    limits: RateLimits,
    terms_url: str | None = None,
) -> APIRouter:
    """`registrations` is None when no mail can be sent: the pages then say so."""
    router = APIRouter(include_in_schema=False)
    register_path = f"{outcomes.base_path}{REGISTER_PATH}"
    verify_path = f"{outcomes.base_path}{VERIFY_PATH}"

    def unavailable() -> Response:
        return outcomes.pages.error_page(*_UNAVAILABLE, status_code=403)

    def form_page(
        request: Request,
        service: Registrations,
        flow_id: str,
        fields: Mapping[str, str],
        error: str | None = None,
    ) -> Response:
        context = {
            "action": register_path,
            "flow_id": flow_id,
            "email": fields.get("email", ""),
            "name": fields.get("name", ""),
            "min_length": service.passwords.min_length,
            "terms": bool(service.terms_version),
            "terms_url": terms_url,
            "error": error and gettext(error),
        }
        return outcomes.form_page(request, _REGISTER, "register.html", context)

    async def code_page(
        request: Request, sent: CodeSent, code: str = "", error: str | None = None
    ) -> Response:
        context = {
            "action": verify_path,
            "registration_id": sent.registration_id,
            "email": sent.email,
            "code": code,
            "digits": CODE_DIGITS,
            "from_link": bool(code),
            "error": error and gettext(error),
        }
        # The answer to this form may redirect to the client: the page's CSP must allow it.
        return_to = await interactions.redirect_target(sent.flow_id)
        return outcomes.form_page(request, _VERIFY, "register_verify.html", context, return_to)

    @router.get(register_path)
    async def registration_form(request: Request, flow: str = "") -> Response:
        if registrations is None:
            return outcomes.pages.error_page(*_NO_MAIL, status_code=503)
        if await interactions.registration_flow(flow) is None:
            return unavailable()
        return form_page(request, registrations, flow, {})

    @router.post(register_path)
    async def register(request: Request) -> Response:
        form = await checked_form(request, outcomes, _REGISTER)
        if isinstance(form, Response):
            return form
        refused = await limits.admit(request, Action.MAIL)
        if refused is not None:
            return refused
        if registrations is None:
            return outcomes.pages.error_page(*_NO_MAIL, status_code=503)
        flow_id = form.get("flow", "")
        if await interactions.registration_flow(flow_id) is None:
            return unavailable()
        sign_up = SignUp(
            email=form.get("email", ""),
            password=form.get("password", ""),
            name=form.get("name", ""),
            accepted_terms=form.get("terms") == "accepted",
        )
        result = await registrations.start(flow_id, sign_up)
        if isinstance(result, Refused):
            return form_page(request, registrations, flow_id, form, result.message)
        return await code_page(request, result)

    @router.get(verify_path)
    async def confirm_page(request: Request, registration: str = "", code: str = "") -> Response:
        sent = await registrations.waiting(registration) if registrations else None
        if sent is None:
            return outcomes.pages.error_page(_CODE_UNUSABLE, DEAD_CODE.message, status_code=410)
        return await code_page(request, sent, code)

    @router.post(verify_path)
    async def verify(request: Request) -> Response:
        form = await checked_form(request, outcomes, _VERIFY)
        if isinstance(form, Response):
            return form
        if registrations is None:
            return outcomes.pages.error_page(*_NO_MAIL, status_code=503)
        visitor = visitor_of(request)
        result = await registrations.verify(
            form.get("registration", ""), form.get("code", ""), visitor.ip
        )
        if isinstance(result, WrongCode):
            return await code_page(request, result.sent, error=result.message)
        if isinstance(result, Refused):
            return outcomes.pages.error_page(_CODE_UNUSABLE, result.message, status_code=400)
        outcome, new_session = await interactions.signed_up(
            result.flow_id, result.verified, cookie.read(request), visitor
        )
        if isinstance(outcome, ShowError):
            # The account exists whatever became of the sign-in: say so, not "expired".
            return outcomes.pages.render("register_done.html", {})
        response = outcomes.render(request, outcome)
        if new_session:
            cookie.write(response, new_session)
        return response

    return router
