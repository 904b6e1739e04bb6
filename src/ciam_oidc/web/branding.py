"""The brand a request is answered under, and its colours as a stylesheet.

Every request starts with the deployment's own brand (`BrandScope`); the sign-in of a client
switches to the client's (`authn.branding`). Pages carry no inline style (the CSP forbids it), so
the colour comes from GET {base}/brand.css?client=ID, linked after ciam.css: its custom
properties override the defaults there. Shared caches may keep it for a few minutes, since it
depends on nothing but the client's registration.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ciam_oidc.authn.branding import Brand, current_brand
from ciam_oidc.protocol.ports import ClientStore
from ciam_oidc.web.brand_colors import DARK_SURFACE, LIGHT_SURFACE, accent_on

BRAND_CSS_PATH = "/brand.css"
_MAX_AGE = 300


class BrandScope:
    """Answers each request under `brand` unless its sign-in is a client's; forgets it after."""

    def __init__(self, app: ASGIApp, *, brand: Brand) -> None:
        self._app = app
        self._brand = brand

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = current_brand.set(self._brand)
        try:
            await self._app(scope, receive, send)
        finally:
            current_brand.reset(token)


def brand_router(clients: ClientStore, base_path: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(f"{base_path}{BRAND_CSS_PATH}")
    async def brand_css(client: str = "") -> Response:
        """The colours of `client`'s pages; an unknown client gets the deployment's."""
        brand = current_brand.get()
        registered = await clients.get_client(client) if client else None
        if registered is not None:
            brand = brand.for_client(registered)
        return Response(
            stylesheet(brand.color),
            media_type="text/css",
            headers={"Cache-Control": f"public, max-age={_MAX_AGE}"},
        )

    return router


def stylesheet(color: str) -> str:
    """Custom properties for ciam.css: the accent, readable in light and in dark mode."""
    light, dark = accent_on(color, LIGHT_SURFACE), accent_on(color, DARK_SURFACE)
    return (
        f":root {{ --accent: {light.color}; --accent-text: {light.text}; "
        f"--focus: {light.color}; }}\n"
        "@media (prefers-color-scheme: dark) {\n"
        f"  :root {{ --accent: {dark.color}; --accent-text: {dark.text}; "
        f"--focus: {dark.color}; }}\n"
        "}\n"
    )
