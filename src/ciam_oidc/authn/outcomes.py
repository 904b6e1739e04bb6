"""What a step of a sign-in hands the web layer to show: a page, a redirect, or an answer to
the client. Plain data, so the orchestration stays free of any web framework."""

from __future__ import annotations

from dataclasses import dataclass

from ciam_oidc.authn.authenticators import Prompt
from ciam_oidc.authn.upstream_links import UpstreamChoice
from ciam_oidc.i18n import N_
from ciam_oidc.protocol.authorization.response import AuthorizationResponse


@dataclass(frozen=True)
class ShowError:
    """A page for the person: nothing may be sent to an unverified redirect_uri.

    `title` and `message` are English messages marked with `N_`, translated when shown.
    """

    title: str
    message: str
    status_code: int = 400


@dataclass(frozen=True)
class Respond:
    """The answer to the client, at its verified redirect_uri."""

    response: AuthorizationResponse


@dataclass(frozen=True)
class Continue:
    """Send the browser to the page the flow waits on (`login`, `register` or `consent`), so a
    reload or the back button shows that page again rather than resubmitting a form."""

    page: str
    flow_id: str


@dataclass(frozen=True)
class GoTo:
    """One of our own pages, after a sign-in to it (`/account`). Always a local path."""

    path: str


@dataclass(frozen=True)
class ToUpstream:
    """Send the browser to an upstream identity provider's authorization endpoint."""

    url: str


@dataclass(frozen=True)
class Enrol:
    """The sign-in needs a second factor this person has not set up yet: set one up, then
    come back to the flow."""

    flow_id: str


@dataclass(frozen=True)
class ShowLogin:
    flow_id: str
    return_to: str | None
    """The verified redirect_uri the answer to this page may redirect to (None: our pages)."""
    methods: tuple[tuple[str, Prompt], ...]
    """The methods offered, by id, each with what its part of the page shows."""
    second_factor: bool = False
    error: str | None = None
    notice: str | None = None
    can_register: bool = False
    """Offer "create an account" (the policy allows it and nobody is identified yet)."""
    can_reset_password: bool = False
    """Offer "forgot your password?" (a password is one of the methods offered)."""
    upstreams: tuple[UpstreamChoice, ...] = ()
    """Upstream identity providers offered as first factors ("Continue with Google")."""


@dataclass(frozen=True)
class ShowConsent:
    flow_id: str
    return_to: str
    client_name: str
    scope: tuple[str, ...]


Outcome = ShowError | Respond | Continue | GoTo | ToUpstream | Enrol | ShowLogin | ShowConsent

EXPIRED = ShowError(
    N_("This sign-in has expired"),
    N_("Return to the application and start again."),
)
