"""Server-rendered pages people see: sign-in, consent and errors, from Jinja2 templates.

Pages work without JavaScript and reference only our own assets (`/static`, `/brand.css`)
plus, when the brand has one, a logo whose origin the page's CSP then names, so the strict CSP
of `security_headers` holds. Every variable is escaped for HTML, and a variable a template uses
but the context lacks is an error rather than a silently blank field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from ciam_oidc.authn.branding import Brand, current_brand
from ciam_oidc.i18n import current_locale, gettext, ngettext
from ciam_oidc.web.security_headers import (
    CONTENT_SECURITY_POLICY,
    image_source,
    with_image_source,
)

_HERE = Path(__file__).parent
TEMPLATES_DIR = _HERE / "templates"
STATIC_DIR = _HERE / "static"


class Pages:
    """Renders the templates into responses that no cache keeps."""

    def __init__(self, static_url: str = "/static", brand_css_url: str | None = None) -> None:
        """`static_url` is where the app mounts `static_files()`, `brand_css_url` where it
        serves the brand's colours (web/branding.py); None: ciam.css's own colours."""
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
        # Translated in the language of the request being answered (web/locale.py). Text in
        # {% trans %} blocks is joined into one line, as `babel.cfg` extracts it.
        self._env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
        self._env.policies["ext.i18n.trimmed"] = True
        self._brand_css_url = brand_css_url
        self._env.tests["web_url"] = _is_web_url

    def render(
        self,
        name: str,
        context: Mapping[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """`headers` are added to, and may override, the default `Cache-Control: no-store`.

        The page wears the request's brand (authn/branding.py): its name, its colours and,
        when it has one, its logo, whose origin the page's CSP then lets images come from.
        """
        brand = current_brand.get()
        logo_source = image_source(brand.logo_url) if brand.logo_url else None
        page = {
            "brand": brand,
            "brand_logo": brand.logo_url if logo_source else None,
            "brand_css": self._brand_css(brand),
            **context,
        }
        body = self._env.get_template(name).render(page)
        # Pages hold per-person content and CSRF tokens: no shared or browser cache may keep
        # them (RFC 9111 §5.2.2.5).
        response_headers = {"Cache-Control": "no-store", **(headers or {})}
        if logo_source:
            policy = response_headers.get("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response_headers["Content-Security-Policy"] = with_image_source(policy, logo_source)
        return HTMLResponse(body, status_code=status_code, headers=response_headers)

    def _brand_css(self, brand: Brand) -> str | None:
        """The stylesheet with `brand`'s colours; a client's names the client."""
        if self._brand_css_url is None or brand.client_id is None:
            return self._brand_css_url
        return f"{self._brand_css_url}?{urlencode({'client': brand.client_id})}"

    def fragment(self, name: str, context: Mapping[str, Any]) -> Markup:
        """A partial template rendered on its own, for a page to place as it is."""
        return Markup(self._env.get_template(name).render(context))  # noqa: S704 (autoescaped)

    def error_page(
        self, title: str, message: str, status_code: int, return_url: str | None = None
    ) -> HTMLResponse:
        """A page saying what went wrong in words for people, never exception text.

        `title` and `message` are translated here: English messages marked with `N_`, or text
        already in the request's language (which translating again leaves as it is).
        `return_url` must be one the caller verified, such as a client's registered
        redirect_uri; the template also drops it unless it is an absolute http(s) URL.
        """
        context = {
            "title": gettext(title),
            "message": gettext(message),
            "return_url": return_url,
        }
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
