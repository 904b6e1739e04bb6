"""Authorization responses: where they go and how (RFC 6749 §4.1.2, OAuth 2.0 Multiple Response
Type Encoding Practices §2, OAuth 2.0 Form Post Response Mode §2, RFC 9207)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from ciam_oidc.protocol.errors import OAuthError

RESPONSE_MODES = ("query", "fragment", "form_post")


@dataclass(frozen=True)
class ResponseTarget:
    """A redirect_uri already matched against the client's registration: safe to send to."""

    redirect_uri: str
    response_mode: str
    state: str | None
    issuer: str


@dataclass(frozen=True)
class AuthorizationResponse:
    """Either a URL to redirect the browser to, or a form to auto-post (`form_post`)."""

    target: ResponseTarget
    parameters: dict[str, str]

    @property
    def is_form_post(self) -> bool:
        return self.target.response_mode == "form_post"

    @property
    def redirect_url(self) -> str:
        if self.target.response_mode == "fragment":
            parts = urlsplit(self.target.redirect_uri)
            return urlunsplit(parts._replace(fragment=urlencode(self.parameters)))
        return with_query(self.target.redirect_uri, self.parameters)


def with_query(uri: str, parameters: Mapping[str, str]) -> str:
    """`uri` with `parameters` added to, never replacing, its registered query (RFC 6749
    §3.1.2: the redirection endpoint's query component MUST be retained)."""
    parts = urlsplit(uri)
    encoded = urlencode(parameters)
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return urlunsplit(parts._replace(query=query))


def respond(target: ResponseTarget, parameters: Mapping[str, str]) -> AuthorizationResponse:
    """Every response carries `iss` (RFC 9207 §2) and echoes `state` (RFC 6749 §4.1.2)."""
    body = dict(parameters)
    body["iss"] = target.issuer
    if target.state is not None:
        body["state"] = target.state
    return AuthorizationResponse(target, body)


def respond_with_error(target: ResponseTarget, error: OAuthError) -> AuthorizationResponse:
    return respond(target, error.as_dict())
