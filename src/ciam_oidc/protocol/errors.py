"""One base class for every OAuth error and one class per standard `error` code.

Each class knows its code and HTTP status, so the web edge renders any of them the same way
(RFC 6749 §5.2, RFC 7591 §3.2.2). Later issues add the authorization and token codes here.
"""

from __future__ import annotations

from typing import ClassVar


class OAuthError(Exception):
    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 400

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidRedirectUri(OAuthError):
    """RFC 7591 §3.2.2: a redirection URI is not acceptable."""

    error = "invalid_redirect_uri"


class InvalidClientMetadata(OAuthError):
    """RFC 7591 §3.2.2: some other client metadata value is not acceptable."""

    error = "invalid_client_metadata"
