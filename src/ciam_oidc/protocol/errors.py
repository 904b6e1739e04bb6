"""One base class for every OAuth error and one class per standard `error` code.

Each class knows its code and HTTP status, so the web edge renders any of them the same way
(RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2).
"""

from __future__ import annotations

from typing import ClassVar


class OAuthError(Exception):
    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 400

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: answered with 401 and a WWW-Authenticate challenge."""

    error = "invalid_client"
    status_code = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class InvalidRedirectUri(OAuthError):
    """RFC 7591 §3.2.2: a redirection URI is not acceptable."""

    error = "invalid_redirect_uri"


class InvalidClientMetadata(OAuthError):
    """RFC 7591 §3.2.2: some other client metadata value is not acceptable."""

    error = "invalid_client_metadata"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class AccessDenied(OAuthError):
    error = "access_denied"


class LoginRequired(OAuthError):
    """OpenID Connect Core §3.1.2.6: prompt=none and nobody is signed in well enough."""

    error = "login_required"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InteractionRequired(OAuthError):
    """OpenID Connect Core §3.1.2.6: prompt=none, and the sign-in needs another step."""

    error = "interaction_required"


class UnmetAuthenticationRequirements(OAuthError):
    """OpenID Connect Unmet Authentication Requirements 1.0 §2: an essential `acr` (or the
    client's policy) asks for a sign-in this person cannot complete."""

    error = "unmet_authentication_requirements"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the access token is expired, revoked, malformed or not ours; 401."""

    error = "invalid_token"
    status_code = 401


class InsufficientScope(OAuthError):
    """RFC 6750 §3.1: the token is valid but lacks the scope the resource needs; 403."""

    error = "insufficient_scope"
    status_code = 403
