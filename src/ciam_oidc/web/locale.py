"""Which language a request is answered in, set for the whole request before any route runs.

`ui_locales` on a request (the authorization request carries it, OpenID Connect Core
§3.1.2.1) wins and is remembered in a cookie, so the sign-in, registration and reset pages that
follow in the same browser speak the same language; then that cookie, then Accept-Language.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ciam_oidc.i18n import AVAILABLE, current_locale, negotiate

COOKIE = "ciam_locale"
_MAX_AGE = 365 * 24 * 3600


class LocaleMiddleware:
    def __init__(self, app: ASGIApp, *, default: str, secure: bool) -> None:
        self._app = app
        self._default = default
        self._secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        asked = " ".join(query.get("ui_locales", [])).split()
        chosen = negotiate(asked) if asked else None
        remembered = _cookie(headers.get("cookie", ""))
        locale = chosen or negotiate(
            [remembered] if remembered in AVAILABLE else [],
            headers.get("accept-language"),
            self._default,
        )
        token = current_locale.set(locale)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and chosen and chosen != remembered:
                cookie = f"{COOKIE}={chosen}; Path=/; Max-Age={_MAX_AGE}; SameSite=Lax; HttpOnly"
                cookie += "; Secure" if self._secure else ""
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"set-cookie", cookie.encode())],
                }
            await send(message)

        try:
            await self._app(scope, receive, send_with_cookie)
        finally:
            current_locale.reset(token)


def _cookie(header: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header means no remembered language
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None
