"""The account's passkeys page: list, add, rename and remove them.

Every action needs a recent sign-in (`AccountGuard`), since adding a passkey is how a stolen
session would turn into lasting access, and the form's CSRF token. Answers are a 303 back to
the list with a fixed notice, or the list again with the reason a passkey was refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.passkeys import PasskeyRejected, Passkeys
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.web.account import ACCOUNT_PATH, AccountGuard
from ciam_oidc.web.outcomes import OutcomePages, redirect

CSRF_PURPOSE = "account-passkeys"
# Notices are chosen by key, so the query string cannot put words on the page.
_NOTICES = {
    "added": N_("Passkey added. You can now sign in with it."),
    "renamed": N_("Passkey renamed."),
    "removed": N_("Passkey removed. Also delete it from your device or password manager."),
}
_GONE = N_("That passkey is not in your account (any more).")

AccountName = Callable[[str], Awaitable[str]]
"""The name a passkey is saved under on the device (the account's email), by sub."""


def passkeys_router(
    guard: AccountGuard, outcomes: OutcomePages, passkeys: Passkeys, account_name: AccountName
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    page = f"{guard.base_path}{ACCOUNT_PATH}/passkeys"

    async def show(
        request: Request, sub: str, *, notice: str | None = None, error: str | None = None
    ) -> Response:
        name = await account_name(sub)
        context = {
            "page": page,
            "account": f"{guard.base_path}{ACCOUNT_PATH}",
            "passkeys": await passkeys.list(sub),
            "options_json": await passkeys.registration_options(sub, name, name),
            "notice": notice and gettext(notice),
            "error": error and gettext(error),
        }
        response = outcomes.form_page(request, CSRF_PURPOSE, "account_passkeys.html", context)
        if error:
            response.status_code = 400
        return response

    async def signed_in_form(request: Request) -> tuple[str, dict[str, str]] | Response:
        """The recently signed-in account and its checked form, or the response to send."""
        checked = await guard.signed_in_form(request, outcomes, CSRF_PURPOSE, page)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        return session.authentication.sub, form

    @router.get(page)
    async def list_passkeys(request: Request) -> Response:
        session = await guard.session(request, recent=True)
        if isinstance(session, Response):
            return session
        notice = _NOTICES.get(request.query_params.get("done", ""))
        return await show(request, session.authentication.sub, notice=notice)

    @router.post(page)
    async def add_passkey(request: Request) -> Response:
        checked = await signed_in_form(request)
        if isinstance(checked, Response):
            return checked
        sub, form = checked
        try:
            await passkeys.register(sub, form.get("credential", ""), form.get("name", ""))
        except PasskeyRejected as rejected:
            return await show(request, sub, error=str(rejected))
        return redirect(f"{page}?done=added", 303)

    @router.post(f"{page}/{{credential_id}}/rename")
    async def rename_passkey(request: Request, credential_id: str) -> Response:
        checked = await signed_in_form(request)
        if isinstance(checked, Response):
            return checked
        sub, form = checked
        try:
            renamed = await passkeys.rename(sub, credential_id, form.get("name", ""))
        except PasskeyRejected as rejected:
            return await show(request, sub, error=str(rejected))
        if not renamed:
            return await show(request, sub, error=_GONE)
        return redirect(f"{page}?done=renamed", 303)

    @router.post(f"{page}/{{credential_id}}/remove")
    async def remove_passkey(request: Request, credential_id: str) -> Response:
        checked = await signed_in_form(request)
        if isinstance(checked, Response):
            return checked
        sub, _form = checked
        if not await passkeys.remove(sub, credential_id):
            return await show(request, sub, error=_GONE)
        return redirect(f"{page}?done=removed", 303)

    return router
