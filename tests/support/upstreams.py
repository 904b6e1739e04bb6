"""Real upstream identity providers on loopback, for federation tests.

Each server is a small Starlette app served by uvicorn in a background thread on 127.0.0.1 and a
free port, so the code under test talks real HTTP to it exactly as it would to Google or
GitHub. Use it as a sync context manager (`with FakeOidcUpstream() as upstream:`) or through
the function-scoped pytest fixtures `fake_oidc_upstream` and `fake_github` (import them into a
conftest or test module). Neither shows a page: the authorization endpoint signs `person`
(or `user`) in at once and answers 302 to the registered redirect URI. The plumbing they
share (server thread, client registry, PKCE) is in `tests.support.oauth_servers`.

`FakeOidcUpstream(alg="RS256" | "ES256")` -- an OpenID Connect provider:
- `issuer`, `register_client(client_id, secret, redirect_uri)` (call again to add URIs).
- discovery at `{issuer}/.well-known/openid-configuration` (S256 PKCE, `query` and
  `form_post`, client_secret_basic and client_secret_post, RFC 9207 `iss` parameter);
  `/authorize` requires a registered client_id + redirect_uri and PKCE S256 and answers 302
  with code, state and iss -- or, with `response_mode=form_post`, a page whose form posts
  them (fields readable with `callback_params`); `/token` checks client auth, redirect_uri,
  code_verifier, and codes are single use; `/userinfo` (Bearer); `/jwks`.
Knobs (attributes and methods, set from the test thread):
- `person`: the claims of whoever signs in (sub, email, email_verified, name, ... amr, acr).
- `id_token_overrides`: merged into the NEXT ID token's claims, then cleared; a value of None
  removes that claim (e.g. `{"email": None}` to make the client ask userinfo).
- `userinfo_overrides`: merged into every userinfo answer (e.g. `{"sub": "someone-else"}`).
- `metadata_overrides`: merged into the discovery document (e.g. a different `issuer`).
- `iss_parameter_supported` (True): advertise RFC 9207 and send `iss` with every response.
- `deny_next()`: the next /authorize answers `error=access_denied`.
- `fail_token(status)`: the next /token answers that status (401 invalid_client, 400
  invalid_grant, 5xx a plain server error).
- `sign_next_with("none" | "HS256" | "unpublished")`: the next ID token is unsigned, MACed
  with the client secret, or signed by a key the JWKS never shows.
- `rotate_keys()`: a new signing key with a new kid; the old key leaves the JWKS.
- counters `jwks_requests`, `discovery_requests`, `token_requests`.

`FakeGitHub` -- GitHub's OAuth 2.0 shape: `/login/oauth/authorize` (302 with code + state),
`/login/oauth/access_token` (form POST, client_secret_post or basic; JSON when asked with
`Accept: application/json`, form-encoded otherwise; errors as HTTP 200 with an `error` member,
as GitHub does), `/user` and `/user/emails` (Bearer; a User-Agent is required, as on GitHub).
Knobs: `user` (numeric `id`, `login`, `name`, `email` which may be None or not the primary),
`emails` (list of {email, primary, verified, visibility}), `deny_next()`, `register_client`.
Endpoint URLs: `authorization_endpoint`, `token_endpoint`, `userinfo_endpoint` (`/user`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from tests.support.oauth_servers import (
    Grant,
    LoopbackServer,
    RegisteredClients,
    bearer,
    form_body,
    form_post,
    redirect,
    s256,
)


def _b64url_json(value: Mapping[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forged_token(alg: Literal["none", "HS256"], claims: Mapping[str, Any], secret: str) -> str:
    """An ID token a careful client must refuse; built by hand because JOSE libraries
    (rightly) will not produce `none`, and warn about short MAC keys."""
    signing_input = f"{_b64url_json({'alg': alg, 'typ': 'JWT'})}.{_b64url_json(claims)}"
    if alg == "none":
        return f"{signing_input}."
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


DEFAULT_PERSON: Mapping[str, Any] = {
    "sub": "248289761001",
    "email": "jane.doe@upstream.example",
    "email_verified": True,
    "name": "Jane Doe",
    "given_name": "Jane",
    "family_name": "Doe",
    "locale": "en",
}


class FakeOidcUpstream(LoopbackServer):
    """An OpenID Connect provider that signs `person` in without a page (see module doc)."""

    def __init__(self, alg: Literal["RS256", "ES256"] = "RS256") -> None:
        super().__init__()
        self.issuer = self.base_url
        self.alg = alg
        self.person: dict[str, Any] = dict(DEFAULT_PERSON)
        self.id_token_overrides: dict[str, Any] = {}
        self.userinfo_overrides: dict[str, Any] = {}
        self.metadata_overrides: dict[str, Any] = {}
        self.iss_parameter_supported = True
        self.jwks_requests = 0
        self.discovery_requests = 0
        self.token_requests = 0
        self.clients = RegisteredClients()
        self._key = self._new_key()
        self._deny_next = False
        self._token_failure: int | None = None
        self._next_signature: Literal["none", "HS256", "unpublished"] | None = None
        self._grants: dict[str, Grant] = {}
        self._access_tokens: set[str] = set()

    def register_client(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.clients.register(client_id, secret, redirect_uri)

    def deny_next(self) -> None:
        self._deny_next = True

    def fail_token(self, status: int) -> None:
        self._token_failure = status

    def sign_next_with(self, signature: Literal["none", "HS256", "unpublished"]) -> None:
        self._next_signature = signature

    def rotate_keys(self) -> None:
        self._key = self._new_key()

    @property
    def kid(self) -> str:
        return str(self._key.kid)

    def _new_key(self) -> RSAKey | ECKey:
        parameters: Any = {"kid": secrets.token_urlsafe(8), "use": "sig", "alg": self.alg}
        if self.alg == "ES256":
            return ECKey.generate_key("P-256", parameters)
        return RSAKey.generate_key(2048, parameters)

    def routes(self) -> list[Route]:
        return [
            Route("/.well-known/openid-configuration", self._discovery),
            Route("/authorize", self._authorize),
            Route("/token", self._token, methods=["POST"]),
            Route("/userinfo", self._userinfo, methods=["GET", "POST"]),
            Route("/jwks", self._jwks),
        ]

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base_url}/authorize",
            "token_endpoint": f"{self.base_url}/token",
            "userinfo_endpoint": f"{self.base_url}/userinfo",
            "jwks_uri": f"{self.base_url}/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "form_post"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.alg],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": self.iss_parameter_supported,
            **self.metadata_overrides,
        }

    async def _discovery(self, request: Request) -> JSONResponse:
        self.discovery_requests += 1
        return JSONResponse(self.metadata())

    async def _jwks(self, request: Request) -> JSONResponse:
        self.jwks_requests += 1
        return JSONResponse({"keys": [self._key.as_dict(private=False)]})

    async def _authorize(self, request: Request) -> StarletteResponse:
        query = request.query_params
        client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
        if not self.clients.allows(client_id, redirect_uri):
            # RFC 6749 §4.1.2.1: never redirect to an unverified redirect URI.
            return PlainTextResponse("unknown client or redirect_uri", status_code=400)
        params = {"state": query["state"]} if "state" in query else {}
        if self.iss_parameter_supported:
            params["iss"] = self.issuer  # RFC 9207 §2
        if self._deny_next:
            self._deny_next = False
            params["error"] = "access_denied"
        elif query.get("response_type") != "code":
            params["error"] = "unsupported_response_type"
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            params["error"] = "invalid_request"
        else:
            code = secrets.token_urlsafe(16)
            self._grants[code] = Grant(
                client_id,
                redirect_uri,
                query["code_challenge"],
                query.get("nonce"),
                query.get("scope", ""),
            )
            params["code"] = code
        if query.get("response_mode") == "form_post":
            return form_post(redirect_uri, params)
        return redirect(redirect_uri, params)

    async def _token(self, request: Request) -> StarletteResponse:
        self.token_requests += 1
        form = await form_body(request)
        if self._token_failure is not None:
            status, self._token_failure = self._token_failure, None
            return _token_error(status)
        client_id = await self.clients.authenticate(request, form)
        if client_id is None:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self._grants.pop(str(form.get("code", "")), None)  # single use either way
        verifier = str(form.get("code_verifier", ""))
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or grant.code_challenge != s256(verifier)
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access_token = secrets.token_urlsafe(24)
        self._access_tokens.add(access_token)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": grant.scope,
                "id_token": self.id_token(grant),
            },
            headers={"Cache-Control": "no-store"},
        )

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            **self.person,
            "iss": self.issuer,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.id_token_overrides)
        self.id_token_overrides = {}
        claims = {name: value for name, value in claims.items() if value is not None}
        signature, self._next_signature = self._next_signature, None
        if signature in ("none", "HS256"):
            return _forged_token(signature, claims, self.clients.secret(grant.client_id))
        key = self._new_key() if signature == "unpublished" else self._key
        return jwt.encode({"alg": self.alg, "kid": key.kid, "typ": "JWT"}, claims, key)

    async def _userinfo(self, request: Request) -> JSONResponse:
        if bearer(request) not in self._access_tokens:
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return JSONResponse({**self.person, **self.userinfo_overrides})


def _token_error(status: int) -> StarletteResponse:
    if status >= 500:
        return PlainTextResponse("upstream trouble", status_code=status)
    error = "invalid_client" if status == 401 else "invalid_grant"
    return JSONResponse({"error": error}, status_code=status)


DEFAULT_GITHUB_USER: Mapping[str, Any] = {
    "id": 5840123,
    "login": "octojane",
    "name": "Jane Octo",
    "email": None,
}
DEFAULT_GITHUB_EMAILS: tuple[Mapping[str, Any], ...] = (
    {"email": "old@octo.example", "primary": False, "verified": True, "visibility": None},
    {"email": "jane@octo.example", "primary": True, "verified": True, "visibility": "private"},
)


class FakeGitHub(LoopbackServer):
    """GitHub's OAuth 2.0 endpoints and REST user API, shape for shape (see module doc)."""

    def __init__(self) -> None:
        super().__init__()
        self.user: dict[str, Any] = dict(DEFAULT_GITHUB_USER)
        self.emails: list[dict[str, Any]] = [dict(email) for email in DEFAULT_GITHUB_EMAILS]
        self.clients = RegisteredClients()
        self.authorization_endpoint = f"{self.base_url}/login/oauth/authorize"
        self.token_endpoint = f"{self.base_url}/login/oauth/access_token"
        self.userinfo_endpoint = f"{self.base_url}/user"
        self._deny_next = False
        self._grants: dict[str, Grant] = {}
        self._access_tokens: set[str] = set()

    def register_client(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.clients.register(client_id, secret, redirect_uri)

    def deny_next(self) -> None:
        self._deny_next = True

    def routes(self) -> list[Route]:
        return [
            Route("/login/oauth/authorize", self._authorize),
            Route("/login/oauth/access_token", self._access_token, methods=["POST"]),
            Route("/user", self._user),
            Route("/user/emails", self._emails),
        ]

    async def _authorize(self, request: Request) -> StarletteResponse:
        query = request.query_params
        client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
        if not self.clients.allows(client_id, redirect_uri):
            return PlainTextResponse("redirect_uri mismatch", status_code=400)
        params = {"state": query["state"]} if "state" in query else {}
        if self._deny_next:
            self._deny_next = False
            params["error"] = "access_denied"
            params["error_description"] = "The user has denied your application access."
            return redirect(redirect_uri, params)
        code = secrets.token_urlsafe(10)
        # GitHub accepts PKCE (S256) when the client sends a challenge; it is optional there.
        self._grants[code] = Grant(
            client_id, redirect_uri, query.get("code_challenge"), None, query.get("scope", "")
        )
        return redirect(redirect_uri, {**params, "code": code})

    async def _access_token(self, request: Request) -> StarletteResponse:
        form = await form_body(request)
        client_id = await self.clients.authenticate(request, form)
        grant = self._grants.pop(str(form.get("code", "")), None)
        answer: dict[str, Any]
        if client_id is None:
            answer = {"error": "incorrect_client_credentials"}
        elif (
            grant is None
            or grant.client_id != client_id
            or (form.get("redirect_uri") not in (None, grant.redirect_uri))
            or (
                grant.code_challenge is not None
                and grant.code_challenge != s256(str(form.get("code_verifier", "")))
            )
        ):
            answer = {"error": "bad_verification_code"}
        else:
            access_token = f"gho_{secrets.token_urlsafe(24)}"
            self._access_tokens.add(access_token)
            answer = {"access_token": access_token, "token_type": "bearer", "scope": grant.scope}
        # GitHub answers errors with 200 too, and JSON only when asked for it.
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(answer)
        return PlainTextResponse(urlencode(answer), media_type="application/x-www-form-urlencoded")

    def _refusal(self, request: Request) -> JSONResponse | None:
        if not request.headers.get("user-agent"):
            return JSONResponse({"message": "Request forbidden: missing User-Agent"}, 403)
        if bearer(request) not in self._access_tokens:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return None

    async def _user(self, request: Request) -> JSONResponse:
        return self._refusal(request) or JSONResponse(self.user)

    async def _emails(self, request: Request) -> JSONResponse:
        return self._refusal(request) or JSONResponse(self.emails)


class _HiddenFields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


async def callback_params(authorization_url: str) -> dict[str, str]:
    """What the upstream sends back to the callback for this authorization URL: the 302's
    query parameters, or the fields of a form_post page. A browser would follow; tests read."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(authorization_url)
    if response.status_code == 302:
        return dict(parse_qsl(urlsplit(response.headers["location"]).query))
    response.raise_for_status()
    parser = _HiddenFields()
    parser.feed(response.text)
    return parser.fields


@pytest.fixture
def fake_oidc_upstream() -> Iterator[FakeOidcUpstream]:
    with FakeOidcUpstream() as upstream:
        yield upstream


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as github:
        yield github
