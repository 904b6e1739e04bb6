"""The device cookie: a random value that tells this browser apart from others.

It proves nothing about who is at the keyboard and grants nothing; it only lets an emailed
sign-in link notice that it was opened in another browser than the one that asked for it.
Over https it takes the `__Host-` prefix like our other cookies, so no sibling host can plant
one. HttpOnly; SameSite=Lax, because a link opened from a mail client is a cross-site top-level
navigation that must still carry it; and long-lived, since a browser stays the same browser.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.crypto.secrets import new_secret

_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers honour (RFC 6265bis §5.6.2)
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{32,64}")


class DeviceCookie:
    def __init__(self, secure: bool) -> None:
        """`secure` is whether the issuer is https."""
        self.name = "__Host-ciam_device" if secure else "ciam_device"
        self._secure = secure

    def read(self, request: Request) -> str | None:
        """The browser's value, or None if it has none we issued the shape of."""
        value = request.cookies.get(self.name)
        return value if value and _WELL_FORMED.fullmatch(value) else None

    def read_or_new(self, request: Request) -> tuple[str, bool]:
        """The browser's value and False, or a new value and True (then `write` it)."""
        value = self.read(request)
        return (value, False) if value else (new_secret(), True)

    def write(self, response: Response, value: str) -> None:
        response.set_cookie(
            self.name,
            value,
            max_age=_MAX_AGE,
            path="/",
            secure=self._secure,
            httponly=True,
            samesite="lax",
        )
