"""What the authorization endpoint does with a checked request: issue a code, ask the person
to sign in or to consent, or answer with an error (OpenID Connect Core §3.1.2.3 to §3.1.2.6)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ciam_oidc.protocol.acr import AcrRequirement, reported_acr
from ciam_oidc.protocol.authorization.request import AuthorizationRequest
from ciam_oidc.protocol.authorizations import Authentication
from ciam_oidc.protocol.errors import (
    ConsentRequired,
    InteractionRequired,
    LoginRequired,
    OAuthError,
)
from ciam_oidc.protocol.ports import BrowserSession


@dataclass(frozen=True)
class Login:
    """The person must (re-)authenticate; `reason` is shown to them."""

    reason: str


@dataclass(frozen=True)
class StepUp:
    """The person is signed in, but not strongly enough: ask for another factor, not a new
    sign-in."""

    requirement: AcrRequirement
    mandatory: bool
    """False when only preferred (acr_values): going on without it is allowed."""


@dataclass(frozen=True)
class Consent:
    scope: tuple[str, ...]


@dataclass(frozen=True)
class Issue:
    """Everything needed is there: issue a code for `scope` to this authentication."""

    authentication: Authentication
    session_id: str
    scope: tuple[str, ...]


Decision = Login | StepUp | Consent | Issue


def decide(
    request: AuthorizationRequest,
    session: BrowserSession | None,
    consented: frozenset[str],
    now: datetime,
    *,
    requirement: AcrRequirement | None = None,
    can_step_up: bool = False,
    just_authenticated: bool = False,
    hinted_sub: str | None = None,
) -> Decision:
    """Raises the OAuthError for prompt=none when interaction would be needed.

    `can_step_up` says whether the person has another factor to offer, which is what decides
    whether merely preferred classes (acr_values) are worth asking for.
    """
    requirement = requirement or AcrRequirement()
    login_reason = _login_reason(request, session, now, just_authenticated, hinted_sub)
    if login_reason is not None or session is None:
        return _interact(request, Login(login_reason or "sign in to continue"), LoginRequired)
    amr = session.authentication.amr
    mandatory = bool(requirement.unmet(amr))
    if mandatory or (can_step_up and requirement.preference_unmet(amr)):
        return _interact(request, StepUp(requirement, mandatory), InteractionRequired)
    authentication = replace(session.authentication, acr=reported_acr(amr, requirement.requested))
    scope = _effective_scope(request, consented)
    missing = [value for value in scope if value not in consented and value != "openid"]
    needs_consent = not request.client.first_party and (missing or "consent" in request.prompt)
    if needs_consent:
        return _interact(request, Consent(scope), ConsentRequired)
    return Issue(authentication, session.id, scope)


def _login_reason(
    request: AuthorizationRequest,
    session: BrowserSession | None,
    now: datetime,
    just_authenticated: bool,
    hinted_sub: str | None,
) -> str | None:
    if session is None:
        return "sign in to continue"
    if just_authenticated:
        return None
    if request.prompt & {"login", "select_account"}:
        return "the application asks you to sign in again"
    if request.max_age is not None:
        # OpenID Connect Core §3.1.2.1: max_age=0 means authenticate now.
        age = now - session.authentication.auth_time
        if request.max_age == 0 or age > timedelta(seconds=request.max_age):
            return "the application asks for a recent sign-in"
    if hinted_sub is not None and hinted_sub != session.authentication.sub:
        return "the application expects another account"
    return None


def _interact(
    request: AuthorizationRequest, interaction: Login | StepUp | Consent, error: type[OAuthError]
) -> Decision:
    if "none" in request.prompt:
        raise error("user interaction is required but prompt=none was given")
    return interaction


def _effective_scope(request: AuthorizationRequest, consented: frozenset[str]) -> tuple[str, ...]:
    """OpenID Connect Core §11: offline_access only with prompt=consent or earlier consent."""
    keep_offline = (
        "consent" in request.prompt or "offline_access" in consented or request.client.first_party
    )
    return tuple(s for s in request.scope if s != "offline_access" or keep_offline)
