"""Browser hardening headers on every HTTP response, as a pure ASGI middleware.

It edits only the `http.response.start` message and passes body chunks through as they come,
so streamed responses are neither buffered nor delayed (Starlette's BaseHTTPMiddleware would
do both). A response that sets one of these headers itself keeps its own value: a form_post
response (OAuth 2.0 Form Post Response Mode §2) needs a CSP that lets it post to the client.

Added with `app.add_middleware(SecurityHeaders, hsts=...)` it covers every response except
Starlette's outermost 500 handler; wrapping the whole app, `SecurityHeaders(app, hsts=...)`,
covers that page as well.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing but our own stylesheet, images and form targets; no script at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

# A host name (or IPv4 address) and an optional port: all a CSP source may take from a URL.
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def page_policy(forms_leave_site: bool = False) -> str:
    """The policy for our own pages: scripts from /static only (the passkey ceremony).

    Browsers apply form-action to every redirect that follows a form submission (CSP Level 3),
    not just the first: a sign-in form answered with a redirect to the client, whose callback
    then redirects to its own home page, would be stopped at that second hop, which no policy
    of ours can name in advance. Pages whose forms may end at a client or an upstream identity
    provider therefore carry no form-action at all; every other page keeps 'self'.
    """
    policy = CONTENT_SECURITY_POLICY.replace(
        "default-src 'none';", "default-src 'none'; script-src 'self';"
    )
    return policy.replace(" form-action 'self';", "") if forms_leave_site else policy


def image_source(url: str) -> str | None:
    """The CSP source for images at `url` (a brand's logo), or None when it is no plain
    http(s) origin, so that nothing but a host can reach the policy."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not _HOST.fullmatch(parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def with_image_source(policy: str, source: str) -> str:
    """`policy`, also letting images load from `source` (from `image_source`)."""
    directives = [directive.strip() for directive in policy.split(";")]
    for index, directive in enumerate(directives):
        if directive.startswith("img-src "):
            directives[index] = f"{directive} {source}"
            return "; ".join(directives)
    return "; ".join([*directives, f"img-src {source}"])


# Two years, without includeSubDomains: the issuer's sibling hosts are not ours to govern.
_HSTS = b"max-age=63072000"

_DEFAULTS: tuple[tuple[bytes, bytes], ...] = (
    # Clickjacking (RFC 6749 §10.13): frame-ancestors above, and this for older browsers.
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    # Codes and state in our URLs must not leak to other sites (RFC 9700 §4.2).
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeaders:
    """Adds the hardening headers a response did not set; `hsts` when the issuer is https."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self._app = app
        # Sent whatever scheme this hop uses: TLS usually ends at a proxy in front of us, so the
        # browser's connection is https when ours is not (and on plain http a browser ignores
        # the header, RFC 6797 §8.1).
        self._defaults = _DEFAULTS + (((b"strict-transport-security", _HSTS),) if hsts else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [pair for pair in self._defaults if pair[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_headers)
