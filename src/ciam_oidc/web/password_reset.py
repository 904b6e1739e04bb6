"""Forgotten password pages: {base}/reset asks for a link, {base}/reset/confirm uses one.

Asking answers every address with the same redirect to the same "check your mail" page, so the
response says nothing about who has an account. The link in the mail opens a form and spends
nothing (mail scanners and previews fetch every link); only the form's POST, with its CSRF
token, sets the password. Afterwards the person goes back to the sign-in they came from, if it
is still open.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.durations import lifetime_in_words
from ciam_oidc.authn.ip_limits import Action
from ciam_oidc.authn.password_reset import CONFIRM_PATH, RESET_PATH, PasswordRefused, PasswordResets
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.web.forms import checked_form
from ciam_oidc.web.outcomes import OutcomePages, redirect
from ciam_oidc.web.rate_limits import RateLimits
from ciam_oidc.web.visitor import visitor_of

_ASK = "password-reset"
_CHOOSE = "password-reset-confirm"
_DEAD_LINK = (
    N_("This link cannot be used"),
    N_("It has expired or was already used. Ask for a new one from the sign-in page."),
)
MISMATCH = N_("The two passwords are not the same. Type the new password twice.")


def password_reset_router(
    outcomes: OutcomePages, resets: PasswordResets, limits: RateLimits
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    base = outcomes.base_path
    ask_path = f"{base}{RESET_PATH}"
    confirm_path = f"{base}{CONFIRM_PATH}"

    def with_flow(path: str, flow_id: str | None) -> str:
        return f"{path}?{urlencode({'flow': flow_id})}" if flow_id else path

    def ask_page(
        request: Request, flow_id: str, email: str = "", error: str | None = None
    ) -> Response:
        context = {
            "action": ask_path,
            "flow_id": flow_id,
            "email": email,
            "error": error and gettext(error),
        }
        return outcomes.form_page(request, _ASK, "reset.html", context)

    def dead_link() -> Response:
        return outcomes.pages.error_page(*_DEAD_LINK, status_code=410)

    async def choose_page(request: Request, token: str, error: str | None = None) -> Response:
        """The new-password form, while the link is live; it names the account it resets."""
        email = await resets.account_of(token)
        if email is None:
            return dead_link()
        context = {
            "action": confirm_path,
            "token": token,
            "email": email,
            "error": error and gettext(error),
        }
        return outcomes.form_page(request, _CHOOSE, "reset_password.html", context)

    @router.get(ask_path)
    async def show_ask(request: Request, flow: str = "") -> Response:
        return ask_page(request, flow)

    @router.post(ask_path)
    async def ask(request: Request) -> Response:
        form = await checked_form(request, outcomes, _ASK)
        if isinstance(form, Response):
            return form
        refused = await limits.admit(request, Action.MAIL)
        if refused is not None:
            return refused
        flow_id, email = form.get("flow", ""), form.get("email", "")
        problem = await resets.request(email, flow_id or None)
        if problem:
            return ask_page(request, flow_id, email, problem)
        return redirect(with_flow(f"{ask_path}/sent", flow_id), 303)

    @router.get(f"{ask_path}/sent")
    async def sent(flow: str = "") -> Response:
        context = {
            "lifetime": lifetime_in_words(resets.ttl),
            "sign_in": with_flow(f"{base}/login", flow) if flow else None,
        }
        return outcomes.pages.render("reset_sent.html", context)

    @router.get(confirm_path)
    async def show_choose(request: Request, token: str = "") -> Response:
        return await choose_page(request, token)

    @router.post(confirm_path)
    async def choose(request: Request) -> Response:
        form = await checked_form(request, outcomes, _CHOOSE)
        if isinstance(form, Response):
            return form
        token, password = form.get("token", ""), form.get("password", "")
        if password != form.get("password_again", ""):
            return await choose_page(request, token, MISMATCH)
        done = await resets.reset(token, password, visitor_of(request).ip)
        if done is None:
            return dead_link()
        if isinstance(done, PasswordRefused):
            return await choose_page(request, token, done.message)
        return redirect(with_flow(f"{ask_path}/done", done.flow_id), 303)

    @router.get(f"{ask_path}/done")
    async def finished(flow: str = "") -> Response:
        context = {
            "sign_in": with_flow(f"{base}/login", flow) if flow else None,
            "account": f"{base}/account",
        }
        return outcomes.pages.render("reset_done.html", context)

    return router
