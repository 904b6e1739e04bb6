"""/account/password and /account/email: changing one's password or email address.

Every page and form needs a recent sign-in (`AccountGuard`): these are what someone holding a
stolen session cookie would change to lock the owner out. A form sent after the sign-in grew
old comes back to its own page once the person has signed in again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.credentials import EmailChanged, EmailChanges, PasswordChanges
from ciam_oidc.authn.durations import lifetime_in_words
from ciam_oidc.authn.ip_limits import Action
from ciam_oidc.i18n import gettext
from ciam_oidc.web.account import ACCOUNT_PATH, AccountGuard
from ciam_oidc.web.outcomes import OutcomePages, redirect
from ciam_oidc.web.password_reset import MISMATCH
from ciam_oidc.web.rate_limits import RateLimits
from ciam_oidc.web.visitor import visitor_of

PASSWORD_PATH = f"{ACCOUNT_PATH}/password"
EMAIL_PATH = f"{ACCOUNT_PATH}/email"
_PASSWORD = "account-password"
_EMAIL = "account-email"
_EMAIL_CODE = "account-email-code"

AccountName = Callable[[str], Awaitable[str]]
"""The account's email address, by `sub`."""


def password_change_router(
    guard: AccountGuard,
    outcomes: OutcomePages,
    passwords: PasswordChanges,
    account_name: AccountName,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    path = f"{guard.base_path}{PASSWORD_PATH}"

    async def page(request: Request, sub: str, error: str | None = None) -> Response:
        context = {
            "action": path,
            "email": await account_name(sub),
            "has_password": await passwords.has_password(sub),
            "error": error and gettext(error),
            "changed": False,
            "account": f"{guard.base_path}{ACCOUNT_PATH}",
        }
        return outcomes.form_page(request, _PASSWORD, "account_password.html", context)

    @router.get(path)
    async def show(request: Request) -> Response:
        session = await guard.session(request, recent=True)
        if isinstance(session, Response):
            return session
        return await page(request, session.authentication.sub)

    @router.post(path)
    async def change(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, _PASSWORD, request.url.path)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        sub = session.authentication.sub
        new = form.get("password", "")
        if new != form.get("password_again", ""):
            return await page(request, sub, MISMATCH)
        current = form.get("current_password", "")
        problem = await passwords.change(session, current, new, visitor_of(request).ip)
        if problem:
            return await page(request, sub, problem)
        context = {"changed": True, "account": f"{guard.base_path}{ACCOUNT_PATH}"}
        return outcomes.pages.render("account_password.html", context)

    return router


def email_change_router(
    guard: AccountGuard,
    outcomes: OutcomePages,
    changes: EmailChanges,
    account_name: AccountName,
    limits: RateLimits,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    path = f"{guard.base_path}{EMAIL_PATH}"
    confirm_path = f"{path}/confirm"
    account = f"{guard.base_path}{ACCOUNT_PATH}"

    async def address_page(
        request: Request, sub: str, typed: str = "", error: str | None = None
    ) -> Response:
        context = {
            "action": path,
            "current": await account_name(sub),
            "pending": await changes.pending(sub),
            "confirm_url": confirm_path,
            "typed": typed,
            "error": error and gettext(error),
            "account": account,
        }
        return outcomes.form_page(request, _EMAIL, "account_email.html", context)

    async def code_page(request: Request, sub: str, error: str | None = None) -> Response:
        pending = await changes.pending(sub)
        if pending is None and error is None:
            return redirect(path, 303)
        context = {
            "action": confirm_path,
            "pending": pending,
            "ask_again": path,
            "error": error and gettext(error),
            "lifetime": lifetime_in_words(changes.ttl),
        }
        return outcomes.form_page(request, _EMAIL_CODE, "account_email_confirm.html", context)

    @router.get(path)
    async def show(request: Request) -> Response:
        session = await guard.session(request, recent=True)
        if isinstance(session, Response):
            return session
        return await address_page(request, session.authentication.sub)

    @router.post(path)
    async def start(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, _EMAIL, request.url.path)
        if isinstance(checked, Response):
            return checked
        refused = await limits.admit(request, Action.MAIL)
        if refused is not None:
            return refused
        session, form = checked
        sub, typed = session.authentication.sub, form.get("email", "")
        problem = await changes.start(sub, typed)
        if problem:
            return await address_page(request, sub, typed, problem)
        return redirect(confirm_path, 303)

    @router.get(confirm_path)
    async def show_code(request: Request) -> Response:
        session = await guard.session(request, recent=True)
        if isinstance(session, Response):
            return session
        return await code_page(request, session.authentication.sub)

    @router.post(confirm_path)
    async def confirm(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, _EMAIL_CODE, request.url.path)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        sub = session.authentication.sub
        done = await changes.confirm(sub, form.get("code", ""), visitor_of(request).ip)
        if not isinstance(done, EmailChanged):
            return await code_page(request, sub, done)
        context = {"email": done.email, "account": account}
        return outcomes.pages.render("account_email_changed.html", context)

    return router
