"""The account's own pages under /account: profile, signed-in browsers, connected apps,
activity, a copy of the data, and deleting the account.

Reading a page needs a live session. Every change, and the data download, needs a recent
sign-in (`AccountGuard`, since a stolen cookie should not be enough to lock the owner out or
carry their data away) and the CSRF token of the page it came from; it is answered with a 303
to a page, so a reload never repeats it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.account import AccountDeletion, AccountSessions, ConnectedApps
from ciam_oidc.authn.account_export import AccountExport
from ciam_oidc.authn.account_profile import ProfileEditor, read_profile
from ciam_oidc.authn.audit import AuditLog
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.web.account import ACCOUNT_PATH, AccountGuard
from ciam_oidc.web.activity_words import describe
from ciam_oidc.web.device_labels import device_label
from ciam_oidc.web.json import JSONResponse
from ciam_oidc.web.outcomes import OutcomePages, redirect, scope_in_words
from ciam_oidc.web.session_cookie import SessionCookie
from ciam_oidc.web.visitor import visitor_of

_PROFILE, _SESSIONS, _APPS, _DELETE = "profile", "sessions", "apps", "delete-account"
_NOT_YOUR_ADDRESS = N_("That is not this account's email address. Type it exactly as shown.")
EXPORT_FILE = "account-data.json"


@dataclass(frozen=True)
class AccountServices:
    """What the pages ask of `authn`, built once in app.py."""

    profiles: ProfileEditor
    sessions: AccountSessions
    apps: ConnectedApps
    audit: AuditLog
    export: AccountExport
    deletion: AccountDeletion


def account_pages_router(
    guard: AccountGuard,
    outcomes: OutcomePages,
    cookie: SessionCookie,
    services: AccountServices,
    account_name: Callable[[str], Awaitable[str]],
) -> APIRouter:
    """`cookie` is cleared when the account is deleted; `account_name` is its email address."""
    router = APIRouter(include_in_schema=False)
    account = f"{guard.base_path}{ACCOUNT_PATH}"
    profile, sessions, apps = f"{account}/profile", f"{account}/sessions", f"{account}/apps"
    deletion, logout = f"{account}/delete", f"{guard.base_path}/logout"
    back = {"account": account}  # every page links back to the account's home

    def profile_page(
        request: Request, values: dict[str, str], problems: dict[str, str], saved: bool = False
    ) -> Response:
        context = {
            "values": values,
            "problems": {field: gettext(problem) for field, problem in problems.items()},
            "saved": saved,
            "action": profile,
        }
        return outcomes.form_page(request, _PROFILE, "account_profile.html", {**back, **context})

    @router.get(profile)
    async def show_profile(request: Request) -> Response:
        session = await guard.session(request)
        if isinstance(session, Response):
            return session
        values = await services.profiles.current(session.authentication.sub)
        return profile_page(request, values, {}, saved=request.query_params.get("saved") == "1")

    @router.post(profile)
    async def save_profile(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, _PROFILE, profile)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        typed = read_profile(form)
        if typed.problems:
            return profile_page(request, typed.values, typed.problems)
        await services.profiles.update(session.authentication.sub, typed, _ip(request))
        return redirect(f"{profile}?saved=1", 303)

    @router.get(sessions)
    async def show_sessions(request: Request) -> Response:
        session = await guard.session(request)
        if isinstance(session, Response):
            return session
        browsers = [
            {
                "id": each.id,
                "device": device_label(each.user_agent),
                "signed_in_at": each.authentication.auth_time,
                "expires_at": each.expires_at,
                "current": each.id == session.id,
            }
            for each in await services.sessions.of(session.authentication.sub)
        ]
        context = {**back, "browsers": browsers, "action": sessions, "logout": logout}
        return outcomes.form_page(request, _SESSIONS, "account_sessions.html", context)

    @router.post(f"{sessions}/end")
    async def end_session(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, _SESSIONS, sessions)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        ended = form.get("session_id", "")
        await services.sessions.end(session.authentication.sub, ended, _ip(request))
        if ended != session.id:
            return redirect(sessions, 303)
        response = redirect(account, 303)  # this browser signed itself out
        cookie.clear(response)
        return response

    @router.post(f"{sessions}/end-others")
    async def end_other_sessions(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, _SESSIONS, sessions)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        await services.sessions.end_others(session.authentication.sub, session.id, _ip(request))
        return redirect(sessions, 303)

    @router.get(apps)
    async def show_apps(request: Request) -> Response:
        session = await guard.session(request)
        if isinstance(session, Response):
            return session
        connected = await services.apps.of(session.authentication.sub)
        context = {
            **back,
            "apps": connected,
            "scope_in_words": scope_in_words,
            "action": f"{apps}/remove",
        }
        return outcomes.form_page(request, _APPS, "account_apps.html", context)

    @router.post(f"{apps}/remove")
    async def remove_app(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, _APPS, apps)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        client_id = form.get("client_id", "")
        await services.apps.remove(session.authentication.sub, client_id, _ip(request))
        return redirect(apps, 303)

    @router.get(f"{account}/activity")
    async def show_activity(request: Request) -> Response:
        session = await guard.session(request)
        if isinstance(session, Response):
            return session
        events = await services.audit.of(session.authentication.sub)
        names = await services.apps.names(
            {event.details["client_id"] for event in events if "client_id" in event.details}
        )
        rows = [{"event": event, "words": describe(event, names)} for event in events]
        return outcomes.pages.render("account_activity.html", {**back, "events": rows})

    @router.get(f"{account}/export")
    async def export(request: Request) -> Response:
        session = await guard.session(request, recent=True)
        if isinstance(session, Response):
            return session
        data = await services.export.export(session.authentication.sub)
        if data is None:
            return redirect(account, 303)
        headers = {
            "Content-Disposition": f'attachment; filename="{EXPORT_FILE}"',
            "Cache-Control": "no-store",  # personal data: no cache may keep a copy
        }
        return JSONResponse(data, headers=headers)

    async def deletion_page(request: Request, sub: str, error: str | None = None) -> Response:
        context = {
            **back,
            "email": await account_name(sub),
            "action": deletion,
            "error": error and gettext(error),
        }
        return outcomes.form_page(request, _DELETE, "account_delete.html", context)

    @router.get(deletion)
    async def confirm_deletion(request: Request) -> Response:
        session = await guard.session(request, recent=True)
        if isinstance(session, Response):
            return session
        return await deletion_page(request, session.authentication.sub)

    @router.post(deletion)
    async def delete_account(request: Request) -> Response:
        checked = await guard.signed_in_form(request, outcomes, _DELETE, deletion)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        sub = session.authentication.sub
        if not await services.deletion.delete(sub, form.get("email", ""), _ip(request)):
            return await deletion_page(request, sub, _NOT_YOUR_ADDRESS)
        response = redirect(f"{account}/deleted", 303)
        cookie.clear(response)
        return response

    @router.get(f"{account}/deleted")
    async def deleted() -> Response:
        return outcomes.pages.render("account_deleted.html", {})

    return router


def _ip(request: Request) -> str | None:
    return visitor_of(request).ip
