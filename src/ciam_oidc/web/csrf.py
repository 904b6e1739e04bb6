"""CSRF protection for every form we serve: a signed double-submit token, stateless across nodes.

Each browser gets a random value in an HttpOnly cookie. A form carries a token that is an
HMAC-SHA256, under a key derived from the master secret, over that value and the form's
purpose, so any node holding the secret verifies a token another node issued, and no store is
needed. A cross-site page can make the browser send the cookie but can neither read it nor mint
a matching token, since no token can be made for a cookie value without the key; the `__Host-`
prefix keeps sibling hosts from planting a cookie of their own over https (RFC 6265bis
§4.1.3.2).

Rendering and cookies happen in that order, so issuing is split from attaching:

    issued = csrf.issue(request, "login")
    response = pages.render("login.html", {"csrf_token": issued.token})
    csrf.set_cookie(response, issued)
    ...
    csrf.check(request, form.get(FORM_FIELD), "login")  # on POST; raises CsrfRejected
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.crypto.derived_keys import derive_key
from ciam_oidc.crypto.secrets import new_secret

FORM_FIELD = "csrf_token"
"""Name of the hidden input that carries the token."""

_KEY_PURPOSE = "csrf-tokens"
_NONCE_BYTES = 16


class CsrfRejected(Exception):
    """The form did not come from a page we served to this browser; the reason is for logs."""


@dataclass(frozen=True)
class IssuedToken:
    """A form token, and the browser value the response must set when the request had none."""

    token: str
    new_cookie_value: str | None


class CsrfProtection:
    """Issues and checks form tokens bound to one browser and one form purpose."""

    def __init__(self, secret: bytes, secure: bool) -> None:
        """`secret` is the master secret; `secure` is whether the issuer is https."""
        self._key = derive_key(secret, _KEY_PURPOSE)
        self._secure = secure
        # Plain-http localhost cannot use `__Host-`: browsers require Secure with it.
        self.cookie_name = "__Host-ciam_csrf" if secure else "ciam_csrf"

    def issue(self, request: Request, purpose: str) -> IssuedToken:
        """A token for a form of `purpose`, reusing the browser's value so other tabs keep
        working; pass the result to `set_cookie` once the response exists."""
        existing = request.cookies.get(self.cookie_name)
        browser_value = existing or new_secret()
        # A fresh nonce per page makes every token look different, so a compression side
        # channel (BREACH) cannot recover it from pages that also reflect attacker input.
        nonce = secrets.token_bytes(_NONCE_BYTES)
        token = base64.urlsafe_b64encode(nonce + self._mac(browser_value, purpose, nonce))
        return IssuedToken(
            token=token.decode(), new_cookie_value=None if existing else browser_value
        )

    def set_cookie(self, response: Response, issued: IssuedToken) -> None:
        """Set the browser value on `response` if `issue` had to create one."""
        if issued.new_cookie_value is None:
            return
        # A session cookie: it lives as long as the tabs that hold forms bound to it. Lax, not
        # Strict: arriving from a relying party is a cross-site navigation, where Strict would
        # withhold the cookie, so each arrival would replace it and break forms in other tabs.
        response.set_cookie(
            self.cookie_name,
            issued.new_cookie_value,
            path="/",
            secure=self._secure,
            httponly=True,
            samesite="lax",
        )

    def check(self, request: Request, form_token: str | None, purpose: str) -> None:
        """Raise CsrfRejected unless `form_token` was issued to this browser for `purpose`."""
        browser_value = request.cookies.get(self.cookie_name)
        if not browser_value:
            raise CsrfRejected("no CSRF cookie")
        if not form_token:
            raise CsrfRejected("no CSRF token in the form")
        try:
            raw = base64.urlsafe_b64decode(form_token.encode())
        except ValueError:  # binascii.Error included
            raise CsrfRejected("CSRF token is malformed") from None
        nonce, mac = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        if not hmac.compare_digest(mac, self._mac(browser_value, purpose, nonce)):
            raise CsrfRejected("CSRF token does not match this browser and form")

    def _mac(self, browser_value: str, purpose: str, nonce: bytes) -> bytes:
        # The nonce has a fixed length and purposes are constants without NUL, so no two
        # (nonce, purpose, browser value) triples share a message.
        message = nonce + purpose.encode() + b"\x00" + browser_value.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()
