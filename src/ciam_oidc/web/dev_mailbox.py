"""The development mailbox pages: GET {base}/dev/mailbox and {base}/dev/mailbox/{id}.

For trying sign-in links without a mail server. Mounted only when the deployment keeps mail
instead of sending it; anyone who can read these pages can sign in as anyone mail went to.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.responses import Response

from ciam_oidc.authn.mail import Mailbox
from ciam_oidc.i18n import N_
from ciam_oidc.web.pages import Pages

MAILBOX_PATH = "/dev/mailbox"
_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING_PUNCTUATION = ".,;:!?)"

Segment = tuple[str, str | None]
"""A run of the body's text, and the URL to link it to (None: shown as text)."""


def dev_mailbox_router(mailbox: Mailbox, pages: Pages, base_path: str, issuer: str) -> APIRouter:
    router = APIRouter()
    mailbox_url = f"{base_path}{MAILBOX_PATH}"

    @router.get(mailbox_url)
    async def list_messages() -> Response:
        context = {"messages": await mailbox.list(), "message": None, "mailbox_url": mailbox_url}
        return pages.render("dev_mailbox.html", context)

    @router.get(mailbox_url + "/{message_id}")
    async def show_message(message_id: str) -> Response:
        message = await mailbox.get(message_id)
        if message is None:
            return pages.error_page(N_("No such message"), N_("It is not in the mailbox."), 404)
        context = {
            "message": message,
            "body": linked_segments(message.text, issuer),
            "mailbox_url": mailbox_url,
        }
        return pages.render("dev_mailbox.html", context)

    return router


def linked_segments(text: str, issuer: str) -> list[Segment]:
    """Split `text` so that only URLs on this provider become links.

    Mail can quote anything (a redirect target, a name someone typed); a link to elsewhere on
    a page of ours would lend it our name, so other URLs stay plain, escaped text.
    """
    segments: list[Segment] = []
    position = 0
    for found in _URL.finditer(text):
        url = found.group().rstrip(_TRAILING_PUNCTUATION)
        if not (url == issuer or url.startswith(issuer + "/")):
            continue
        segments.append((text[position : found.start()], None))
        segments.append((url, url))
        position = found.start() + len(url)
    segments.append((text[position:], None))
    return [segment for segment in segments if segment[0]]
