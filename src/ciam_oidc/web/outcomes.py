"""Turning an interaction outcome into what the browser receives."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ciam_oidc.authn.outcomes import (
    Continue,
    Enrol,
    GoTo,
    Outcome,
    Respond,
    ShowConsent,
    ShowError,
    ShowLogin,
    ToUpstream,
)
from ciam_oidc.authn.upstream_links import UpstreamChoice
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.protocol.authorization.response import AuthorizationResponse
from ciam_oidc.web.csrf import CsrfProtection
from ciam_oidc.web.pages import Pages
from ciam_oidc.web.security_headers import image_source, page_policy, with_image_source

SCOPE_WORDS = {
    "openid": N_("Know who you are on this site (an identifier for your account)"),
    "profile": N_("See your name and basic profile"),
    "email": N_("See your email address"),
    "address": N_("See your postal address"),
    "phone": N_("See your phone number"),
    "offline_access": N_("Keep access while you are not using the application"),
}


def scope_in_words(scope: str) -> str:
    """What a scope lets an application do, in the request's language; else the scope itself."""
    words = SCOPE_WORDS.get(scope)
    return gettext(words) if words else scope


# Where a person without a second factor sets one up in the middle of a sign-in.
ENROL_PATH = "/account/totp"


class OutcomePages:
    def __init__(self, pages: Pages, csrf: CsrfProtection, base_path: str) -> None:
        self.pages = pages
        self.csrf = csrf
        self.base_path = base_path

    def render(self, request: Request, outcome: Outcome) -> Response:
        """POSTs are answered with 303 so the browser follows with a GET (RFC 9110 §15.4.4)."""
        status = 303 if request.method == "POST" else 302
        if isinstance(outcome, ShowError):
            return self.pages.error_page(outcome.title, outcome.message, outcome.status_code)
        if isinstance(outcome, Respond):
            if outcome.response.is_form_post:
                return self._form_post(outcome.response)
            return redirect(outcome.response.redirect_url, status)
        if isinstance(outcome, ShowLogin):
            return self.login_page(request, outcome)
        if isinstance(outcome, ShowConsent):
            return self.consent_page(request, outcome)
        return redirect(self._location(outcome), status)

    def _location(self, outcome: Continue | GoTo | ToUpstream | Enrol) -> str:
        if isinstance(outcome, GoTo):
            return outcome.path
        if isinstance(outcome, ToUpstream):
            return outcome.url
        flow_page = f"{self.base_path}/{{}}?{urlencode({'flow': outcome.flow_id})}"
        if isinstance(outcome, Continue):
            return flow_page.format(outcome.page)
        continue_to = urlencode({"continue": flow_page.format("login")})
        return f"{self.base_path}{ENROL_PATH}?{continue_to}"

    def _flow_url(self, page: str, outcome: ShowLogin) -> str:
        return f"{self.base_path}/{page}?{urlencode({'flow': outcome.flow_id})}"

    def login_page(self, request: Request, outcome: ShowLogin) -> Response:
        """The methods offered, each drawn by its own partial template (one form each)."""
        issued = self.csrf.issue(request, "login")
        shared = {
            "flow_id": outcome.flow_id,
            "action": f"{self.base_path}/login",
            "csrf_token": issued.token,
        }
        context = {
            **shared,
            "methods": [
                self.pages.fragment(prompt.template, {**prompt.context, **shared})
                for _, prompt in outcome.methods
            ],
            "second_factor": outcome.second_factor,
            # Messages come in English (N_) or already in the request's language, when words
            # were put into them; translating the latter again changes nothing.
            "error": outcome.error and gettext(outcome.error),
            "notice": outcome.notice and gettext(outcome.notice),
            "register_url": self._flow_url("register", outcome) if outcome.can_register else None,
            "reset_url": self._flow_url("reset", outcome) if outcome.can_reset_password else None,
            "upstreams": [upstream_button(upstream) for upstream in outcome.upstreams],
            "upstream_action": f"{self.base_path}{UPSTREAM_START_PATH}",
        }
        policy = {"Content-Security-Policy": page_policy_with(outcome.return_to, outcome.upstreams)}
        response = self.pages.render("login.html", context, headers=policy)
        self.csrf.set_cookie(response, issued)
        return response

    def consent_page(self, request: Request, outcome: ShowConsent) -> Response:
        context = {
            "flow_id": outcome.flow_id,
            "client_name": outcome.client_name,
            "scope_descriptions": [scope_in_words(scope) for scope in outcome.scope],
            "action": f"{self.base_path}/consent",
        }
        return self.form_page(request, "consent", "consent.html", context, outcome.return_to)

    def form_page(
        self,
        request: Request,
        purpose: str,
        template: str,
        context: Mapping[str, object],
        return_to: str | None = None,
        upstreams: Sequence[UpstreamChoice] = (),
    ) -> Response:
        """A page with a CSRF-protected form for `purpose` (checked by `forms.checked_form`).

        `return_to` is a verified client redirect URI the form's answer may redirect to;
        `upstreams` are identity providers the page's buttons send the browser to.
        """
        issued = self.csrf.issue(request, purpose)
        policy = {"Content-Security-Policy": page_policy_with(return_to, upstreams)}
        response = self.pages.render(
            template, {**context, "csrf_token": issued.token}, headers=policy
        )
        self.csrf.set_cookie(response, issued)
        return response

    def _form_post(self, response: AuthorizationResponse) -> Response:
        """OAuth 2.0 Form Post Response Mode §2. No form-action: the client's answer to the
        post may redirect anywhere (see `page_policy`); the one script is this page's own."""
        nonce = secrets.token_urlsafe(16)
        policy = (
            f"default-src 'none'; style-src 'self'; script-src 'nonce-{nonce}'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        context = {
            "action": response.target.redirect_uri,
            "parameters": response.parameters,
            "script_nonce": nonce,
        }
        return self.pages.render(
            "form_post.html", context, headers={"Content-Security-Policy": policy}
        )


# Where the sign-in page's upstream buttons post (web/federation.py).
UPSTREAM_START_PATH = "/login/upstream"


def upstream_button(upstream: UpstreamChoice) -> dict[str, str | None]:
    """What a template needs to draw an upstream's button: an operator's icon only when it
    is a plain http(s) URL (the page's CSP then names its origin), else the preset's own."""
    icon = upstream.icon_uri if upstream.icon_uri and image_source(upstream.icon_uri) else None
    return {"id": upstream.id, "name": upstream.name, "preset": upstream.preset, "icon": icon}


def page_policy_with(return_to: str | None, upstreams: Sequence[UpstreamChoice]) -> str:
    """`page_policy` for a page whose forms may lead to a client or to upstreams, letting
    images come from the upstreams' icons' origins."""
    policy = page_policy(forms_leave_site=return_to is not None or bool(upstreams))
    for source in _origins(upstream.icon_uri or "" for upstream in upstreams):
        policy = with_image_source(policy, source)
    return policy


def _origins(urls: Iterable[str]) -> list[str]:
    """The distinct http(s) origins of `urls`, in order; anything else is left out."""
    return list(dict.fromkeys(source for url in urls if (source := image_source(url))))


def redirect(url: str, status: int) -> Response:
    """Redirects here carry codes, flow ids or state: no cache may keep them."""
    return RedirectResponse(url, status_code=status, headers={"Cache-Control": "no-store"})
