"""/account/totp: adding or removing an authenticator app, and new recovery codes.

Each page and form needs a recent sign-in (`AccountGuard`), since adding a second factor is
what someone holding a stolen session would do to keep the account. A sign-in that needs a
second factor the person lacks can send them here with `continue`, a local path the
recovery-codes page then links to; anything else is dropped, so this is no open redirector.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import APIRouter
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.totp_enrolment import TotpEnrolment
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.protocol.ports import BrowserSession
from ciam_oidc.web.account import ACCOUNT_PATH, AccountGuard, local_path
from ciam_oidc.web.outcomes import OutcomePages, redirect

TOTP_PATH = f"{ACCOUNT_PATH}/totp"
_ENROL = "totp-enrol"
_MANAGE = "totp-manage"
_WRONG_CODE = N_(
    "That code did not match. Check that the app shows this account, wait for a new code "
    "and type it before it changes."
)


def totp_router(
    guard: AccountGuard,
    outcomes: OutcomePages,
    enrolment: TotpEnrolment,
    account_name: Callable[[str], Awaitable[str]],
) -> APIRouter:
    """`account_name` gives the label the app shows beside the codes (the email address)."""
    router = APIRouter(include_in_schema=False)
    page_path = f"{guard.base_path}{TOTP_PATH}"
    remove_path = f"{page_path}/remove"
    codes_path = f"{page_path}/recovery-codes"

    def url(path: str, continue_to: str | None) -> str:
        return f"{path}?{urlencode({'continue': continue_to})}" if continue_to else path

    async def page(
        request: Request, sub: str, continue_to: str | None, error: str | None = None
    ) -> Response:
        status = await enrolment.status(sub)
        if status.enrolled:
            return enrolled_page(request, status.recovery_codes_left, continue_to)
        name = await account_name(sub)
        setup = await enrolment.pending(sub, name) or await enrolment.start(sub, name)
        context = {
            # Markup we generate from the provisioning URI alone, with no user text in it.
            "qr_svg": Markup(setup.qr_svg),  # noqa: S704
            "manual_key": " ".join(setup.secret[i : i + 4] for i in range(0, len(setup.secret), 4)),
            "uri": setup.uri,
            "action": url(page_path, continue_to),
            "error": error and gettext(error),
        }
        return outcomes.form_page(request, _ENROL, "account_totp.html", context)

    def enrolled_page(request: Request, codes_left: int, continue_to: str | None) -> Response:
        context = {
            "recovery_codes_left": codes_left,
            "remove_action": url(remove_path, continue_to),
            "codes_action": url(codes_path, continue_to),
            "continue_to": continue_to,
        }
        return outcomes.form_page(request, _MANAGE, "account_totp_enrolled.html", context)

    def codes_page(codes: list[str], continue_to: str | None) -> Response:
        """Shown once; `Pages` marks it no-store so no cache keeps the codes."""
        context = {"codes": codes, "continue_to": continue_to, "done_url": page_path}
        return outcomes.pages.render("recovery_codes.html", context)

    async def signed_in_form(
        request: Request, purpose: str
    ) -> tuple[BrowserSession, dict[str, str], str | None] | Response:
        back_to = url(page_path, local_path(request.query_params.get("continue")))
        checked = await guard.signed_in_form(request, outcomes, purpose, back_to)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        continue_to = local_path(form.get("continue") or request.query_params.get("continue"))
        return session, form, continue_to

    @router.get(page_path)
    async def show(request: Request) -> Response:
        session = await guard.session(request, recent=True)
        if isinstance(session, Response):
            return session
        continue_to = local_path(request.query_params.get("continue"))
        return await page(request, session.authentication.sub, continue_to)

    @router.post(page_path)
    async def confirm(request: Request) -> Response:
        checked = await signed_in_form(request, _ENROL)
        if isinstance(checked, Response):
            return checked
        session, form, continue_to = checked
        sub = session.authentication.sub
        codes = await enrolment.confirm(sub, form.get("code", ""))
        if codes is None:
            return await page(request, sub, continue_to, _WRONG_CODE)
        return codes_page(codes, continue_to)

    @router.post(remove_path)
    async def remove(request: Request) -> Response:
        checked = await signed_in_form(request, _MANAGE)
        if isinstance(checked, Response):
            return checked
        session, _, continue_to = checked
        await enrolment.remove(session.authentication.sub)
        return redirect(url(page_path, continue_to), 303)

    @router.post(codes_path)
    async def regenerate(request: Request) -> Response:
        checked = await signed_in_form(request, _MANAGE)
        if isinstance(checked, Response):
            return checked
        session, _, continue_to = checked
        codes = await enrolment.regenerate_recovery_codes(session.authentication.sub)
        if codes is None:
            return redirect(url(page_path, continue_to), 303)
        return codes_page(codes, continue_to)

    return router
