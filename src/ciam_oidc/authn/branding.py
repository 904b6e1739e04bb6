"""Whose name, logo and colour the pages and mail of a request carry.

A sign-in for a client wears that client's brand: its own name and logo (RFC 7591 §2
`logo_uri`), which belong together, and its colour or else the deployment's (CIAM_BRAND_*).
Like the language (`i18n.current_locale`), the brand belongs to the request being answered,
so it is held in a ContextVar: the web layer starts every request with the deployment's
brand, and `Interactions` switches to the client's once that client's authorization request
is verified (never for an unverified one, which could borrow any name). Mail composed later
in a background task keeps the brand, since tasks copy the context they are created in.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from ciam_oidc.protocol.clients import Client


@dataclass(frozen=True)
class Brand:
    name: str
    color: str
    """The accent colour, #rrggbb."""
    logo_url: str | None = None
    client_id: str | None = None
    """The client whose brand this is; None for the deployment's own."""

    def for_client(self, client: Client) -> Brand:
        """`client`'s brand, in this one's colour if it has none. Its name without a logo
        rather than under another's logo, which would say someone else's name."""
        return Brand(
            name=client.name,
            color=client.brand_color or self.color,
            logo_url=client.logo_uri,
            client_id=client.client_id,
        )


UNBRANDED = Brand(name="ciam-oidc", color="#0b57d0")
"""The product's own name and colour, for work done outside any request (the CLI, tests)."""

current_brand: ContextVar[Brand] = ContextVar("current_brand", default=UNBRANDED)


def brand_name() -> str:
    """The name the request's pages and mail speak under, as mail subjects give it."""
    return current_brand.get().name


def wear_brand_of(client: Client) -> None:
    """From now until the request ends, pages and mail speak for `client`.

    Its brand is laid over the deployment's, which the request started with: a request is
    about one client at most.
    """
    deployment = current_brand.get()
    if deployment.client_id != client.client_id:
        current_brand.set(deployment.for_client(client))
