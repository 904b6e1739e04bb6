"""A scripted browser for the provider's pages: cookies, forms with CSRF tokens, redirects.

It drives the real ASGI application in-process; the interop suite drives real Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.passwords import hash_password
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.protocol.users import UserRequest, new_user

REDIRECT_URI = "https://rp.example/cb"
PASSWORD = "correct horse battery staple"
VERIFIER = "v" * 43


def challenge(verifier: str = VERIFIER) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class RelyingParty:
    client_id: str
    secret: str


async def register_rp(provider: Provider, **changes: object) -> RelyingParty:
    values: dict[str, object] = {
        "name": "Shop",
        "redirect_uris": (REDIRECT_URI,),
        "grant_types": ("authorization_code", "refresh_token"),
        "scope": "openid profile email offline_access",
        **changes,
    }
    client, secret = register_client(ClientRequest(**values), utc_now())  # type: ignore[arg-type]
    await provider.clients.add_client(client)
    return RelyingParty(client.client_id, secret or "")


async def add_customer(provider: Provider, email: str = "alice@example.com") -> str:
    user = new_user(
        UserRequest(email=email, email_verified=True, claims={"name": "Alice"}),
        await hash_password(PASSWORD),
        utc_now(),
    )
    await provider.users.add_user(user)
    return user.sub


def authorization_params(rp: RelyingParty, **changes: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email",
        "state": "s-123",
        "nonce": "n-456",
        "code_challenge": challenge(),
        "code_challenge_method": "S256",
        **changes,
    }


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def flow_id(html: str) -> str:
    found = re.search(r'name="flow" value="([^"]+)"', html)
    assert found, "the form carries no flow"
    return found.group(1)


def callback_params(response: httpx.Response) -> dict[str, str]:
    """The parameters of a redirect to the relying party (query or fragment)."""
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI), location
    parts = urlsplit(location)
    return {k: v[0] for k, v in parse_qs(parts.query or parts.fragment).items()}


@dataclass
class Browser:
    http: httpx.AsyncClient
    history: list[httpx.Response] = field(default_factory=list)

    async def authorize(self, params: dict[str, str]) -> httpx.Response:
        return await self.http.get("/authorize?" + urlencode(params))

    async def open(self, location: str) -> httpx.Response:
        return await self.http.get(location)

    async def submit(self, page: httpx.Response, action: str, **fields: str) -> httpx.Response:
        """Post `fields` as the page's form would; a password goes to the password method."""
        method = {"method": "password"} if "password" in fields else {}
        form = {"csrf_token": csrf_token(page.text), "flow": flow_id(page.text), **method, **fields}
        return await self.http.post(action, data=form)

    async def sign_in(
        self, authorize_response: httpx.Response, email: str = "alice@example.com"
    ) -> httpx.Response:
        assert authorize_response.status_code == 302, authorize_response.text
        login_page = await self.open(authorize_response.headers["location"])
        return await self.submit(login_page, "/login", email=email, password=PASSWORD)

    async def consent(self, response: httpx.Response, decision: str = "allow") -> httpx.Response:
        assert response.status_code == 303, response.text
        assert "/consent?" in response.headers["location"]
        page = await self.open(response.headers["location"])
        return await self.submit(page, "/consent", decision=decision)


async def redeem(browser: Browser, rp: RelyingParty, done: httpx.Response) -> dict[str, Any]:
    """Exchange the code in the callback `done` at the token endpoint, as the client would."""
    form = {
        "grant_type": "authorization_code",
        "code": callback_params(done)["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    response = await browser.http.post("/token", data=form, auth=(rp.client_id, rp.secret))
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def id_token_claims(browser: Browser, id_token: str) -> dict[str, Any]:
    """The claims of an ID token, verified against the provider's published keys."""
    keys = KeySet.import_key_set((await browser.http.get("/jwks")).json())
    return dict(jwt.decode(id_token, keys, algorithms=["RS256"]).claims)
