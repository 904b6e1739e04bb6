"""The SSO session cookie.

`__Host-` prefixed when the issuer is https, so no subdomain can set or shadow it; HttpOnly so
scripts cannot read it; SameSite=Lax so it rides top-level navigations from relying parties
(the redirect to /authorize) but not cross-site subrequests.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response


class SessionCookie:
    def __init__(self, secure: bool, max_age: int) -> None:
        self.name = "__Host-ciam_session" if secure else "ciam_session"
        self._secure = secure
        self._max_age = max_age

    def read(self, request: Request) -> str | None:
        return request.cookies.get(self.name)

    def write(self, response: Response, value: str) -> None:
        response.set_cookie(
            self.name,
            value,
            max_age=self._max_age,
            path="/",
            secure=self._secure,
            httponly=True,
            samesite="lax",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(
            self.name, path="/", secure=self._secure, httponly=True, samesite="lax"
        )
