"""Opening an emailed sign-in link: GET {base}/login/link shows a page, POST spends the link.

Opening never spends a link. Mail scanners and link previews fetch every URL in a message
with a plain GET; if that signed anyone in, or merely used the link up, the person would find
it dead. Only a POST from our own page, with its CSRF token, spends it.

Same browser or another one. The link remembers (as a digest of the device cookie) which
browser asked for it:

- Opened in that same browser, the page continues at once: one button, pressed by a small
  script so nobody has to. A scanner cannot get this far, since it lacks the cookie.
- Opened anywhere else (the phone that reads the mail, a scanner), the page says the link was
  asked for in another browser or on another device and that continuing signs in here, on this
  device, and waits for the person to press the button. This is a warning worth reading: a
  link someone else requested for their own account and sent to you would otherwise sign you
  into their account without a word (login CSRF). The application that asked for the sign-in
  may still expect it to finish in the browser where it began, where its own state lives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.authenticators.magic_link import LINK_PATH, LinkInfo
from ciam_oidc.i18n import N_
from ciam_oidc.web.device_cookie import DeviceCookie
from ciam_oidc.web.forms import checked_form
from ciam_oidc.web.outcomes import OutcomePages

CSRF_PURPOSE = "magic-link"
_DEAD_LINK = (
    N_("This sign-in link cannot be used"),
    N_("It has expired or was already used. Go back to where you signed in and ask for a new one."),
)

Redeem = Callable[[str, str, Request], Awaitable[Response]]
"""Completes the sign-in of flow `flow_id` with `token`: (flow_id, token, request) -> response."""
ReturnTo = Callable[[str], Awaitable[str | None]]
"""The verified redirect URI flow `flow_id` may end at, if any: a page whose form may end at a
client carries no CSP form-action (see `security_headers.page_policy`)."""


class LinkInspector(Protocol):
    async def inspect(self, token: str, device: str) -> LinkInfo | None:
        """The live link's flow and whether `device` asked for it; spends nothing."""


def magic_link_router(
    outcomes: OutcomePages,
    links: LinkInspector,
    device: DeviceCookie,
    redeem: Redeem,
    return_to: ReturnTo,
) -> APIRouter:
    router = APIRouter()
    path = f"{outcomes.base_path}{LINK_PATH}"

    @router.get(path)
    async def open_link(request: Request, token: str = "") -> Response:
        info = await links.inspect(token, device.read(request) or "") if token else None
        if info is None:
            return outcomes.pages.error_page(*_DEAD_LINK, status_code=410)
        template = "magic_link_continue.html" if info.same_device else "magic_link_elsewhere.html"
        context = {"action": path, "token": token}
        target = await return_to(info.flow_id)
        return outcomes.form_page(request, CSRF_PURPOSE, template, context, target)

    @router.post(path)
    async def use_link(request: Request) -> Response:
        form = await checked_form(request, outcomes, CSRF_PURPOSE)
        if isinstance(form, Response):
            return form
        token = form.get("token", "")
        # Checked again: the link may have been spent or expired since the page was shown.
        info = await links.inspect(token, "") if token else None
        if info is None:
            return outcomes.pages.error_page(*_DEAD_LINK, status_code=410)
        return await redeem(info.flow_id, token, request)

    return router
