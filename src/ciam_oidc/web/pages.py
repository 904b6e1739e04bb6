"""Server-rendered pages people see: sign-in, consent and errors, from Jinja2 templates.

Pages work without JavaScript and reference only `/static` assets, so the strict CSP of
`security_headers` holds. Every variable is escaped for HTML, and a variable a template uses
but the context lacks is an error rather than a silently blank field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from ciam_oidc.i18n import current_locale, gettext, ngettext

_HERE = Path(__file__).parent
TEMPLATES_DIR = _HERE / "templates"
STATIC_DIR = _HERE / "static"


class Pages:
    """Renders the templates into responses that no cache keeps."""

    def __init__(self, static_url: str = "/static") -> None:
        """`static_url` is where the app mounts `static_files()`."""
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            extensions=["jinja2.ext.i18n"],
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            # Templates ship with the code and change only with it; skip a stat per render.
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.globals["static_url"] = static_url.rstrip("/")
        self._env.globals["current_language"] = current_locale.get
        # Translated in the language of the request being answered (web/locale.py).
        self._env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
        self._env.tests["web_url"] = _is_web_url

    def render(
        self,
        name: str,
        context: Mapping[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """`headers` are added to, and may override, the default `Cache-Control: no-store`."""
        body = self._env.get_template(name).render(context)
        # Pages hold per-person content and CSRF tokens: no shared or browser cache may keep
        # them (RFC 9111 §5.2.2.5).
        return HTMLResponse(
            body, status_code=status_code, headers={"Cache-Control": "no-store", **(headers or {})}
        )

    def fragment(self, name: str, context: Mapping[str, Any]) -> Markup:
        """A partial template rendered on its own, for a page to place as it is."""
        return Markup(self._env.get_template(name).render(context))  # noqa: S704 (autoescaped)

    def error_page(
        self, title: str, message: str, status_code: int, return_url: str | None = None
    ) -> HTMLResponse:
        """A page saying what went wrong in words for people, never exception text.

        `return_url` must be one the caller verified, such as a client's registered
        redirect_uri; the template also drops it unless it is an absolute http(s) URL.
        """
        context = {"title": title, "message": message, "return_url": return_url}
        return self.render("error.html", context, status_code=status_code)


def _is_web_url(value: object) -> bool:
    """An absolute http(s) URL with nothing a browser would strip to reveal another scheme.

    Escaping cannot make a `javascript:` href harmless, so links are allowed by scheme.
    """
    if not isinstance(value, str) or any(char <= " " for char in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"https", "http"} and bool(parts.netloc)


def static_files() -> StaticFiles:
    """The stylesheet and other assets, for the app to mount at `Pages`' `static_url`."""
    return StaticFiles(directory=STATIC_DIR)
