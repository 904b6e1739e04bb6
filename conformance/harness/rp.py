"""The relying party the suite plays: builds authorization requests for the seeded clients,
sends the person's browser there, redeems codes and checks what comes back."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from playwright.async_api import Browser

from conformance.harness.browser import Person, Visit
from conformance.harness.idtoken import verify_id_token
from conformance.harness.outcome import PLAN_PARAMS, check


@dataclass
class AuthRequest:
    role: str
    params: dict[str, str]
    verifier: str | None

    @property
    def nonce(self) -> str | None:
        return self.params.get("nonce")


@dataclass
class Flow:
    """A completed code flow: what was asked, what came back, and the verified ID token."""

    request: AuthRequest
    visit: Visit
    tokens: dict[str, Any]
    claims: dict[str, Any]


@dataclass
class RelyingParty:
    issuer: str
    seed: dict[str, Any]
    discovery: dict[str, Any]
    jwks: dict[str, Any]
    http: httpx.AsyncClient
    browser: Browser
    person: Person
    pkce: bool = True
    """The suite's oidcc plans send no PKCE; this provider requires it (see the README)."""
    plan: str = "basic"
    """The plan of the module running: its alias's redirect URI and its extra parameters."""
    notes: dict[str, Any] = field(default_factory=dict)
    """What one module leaves for a later one, as the suite's modules share a signed-in browser."""

    def client(self, role: str = "client") -> dict[str, Any]:
        found: dict[str, Any] = self.seed["clients"][role]
        return found

    def redirect_uri(self, plan: str | None = None) -> str:
        alias = self.seed["aliases"][plan or self.plan]
        return f"{self.seed['suite']}/test/a/{alias}/callback"

    def post_logout_uri(self, plan: str | None = None) -> str:
        alias = self.seed["aliases"][plan or self.plan]
        return f"{self.seed['suite']}/test/a/{alias}/post_logout_redirect"

    def endpoint(self, name: str) -> str:
        url = self.discovery.get(name)
        check(isinstance(url, str), f"discovery has no {name}")
        return str(url)

    def advertises(self, name: str, value: str | None = None) -> bool:
        found = self.discovery.get(name)
        if value is None:
            return bool(found)
        return isinstance(found, list) and value in found

    def request(self, role: str = "client", **params: str | None) -> AuthRequest:
        """A code-flow request with state, nonce and PKCE; a None value leaves that one out."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        defaults: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client(role)["client_id"],
            "redirect_uri": self.redirect_uri(),
            "scope": "openid",
            "state": secrets.token_urlsafe(12),
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": challenge.rstrip(b"=").decode() if self.pkce else None,
            "code_challenge_method": "S256" if self.pkce else None,
        }
        asked = {**defaults, **PLAN_PARAMS.get(self.plan, {}), **params}
        merged = {k: v for k, v in asked.items() if v is not None}
        return AuthRequest(role, merged, verifier if "code_challenge" in merged else None)

    def url(self, request: AuthRequest) -> str:
        return f"{self.endpoint('authorization_endpoint')}?{urlencode(request.params)}"

    async def authorize(
        self, request: AuthRequest, person: Person | None = None, *, may_sign_in: bool = True
    ) -> Visit:
        visit = await (person or self.person).visit(self.url(request), may_sign_in=may_sign_in)
        params = visit.arrival.params
        mode = request.params.get("response_mode")
        check(mode is None or visit.arrival.mode == mode, f"answered by {visit.arrival.mode}")
        if "state" in request.params:
            check(params.get("state") == request.params["state"], "state not returned as sent")
        if "iss" in params or self.discovery.get("authorization_response_iss_parameter_supported"):
            check(params.get("iss") == self.issuer, f"iss {params.get('iss')!r} (RFC 9207)")
        return visit

    async def token(self, role: str, data: dict[str, str]) -> httpx.Response:
        """POST to the token endpoint authenticating as the client registered to."""
        client = self.client(role)
        if client["token_endpoint_auth_method"] == "client_secret_post":
            form = {**data, "client_id": client["client_id"]}
            form["client_secret"] = client["client_secret"]
            return await self.http.post(self.endpoint("token_endpoint"), data=form)
        auth = (client["client_id"], client["client_secret"])
        return await self.http.post(self.endpoint("token_endpoint"), data=data, auth=auth)

    async def redeem(self, request: AuthRequest, code: str) -> httpx.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.params.get("redirect_uri", self.redirect_uri()),
        }
        if request.verifier is not None:
            data["code_verifier"] = request.verifier
        return await self.token(request.role, data)

    def verify(self, request: AuthRequest, id_token: str, **hashes: Any) -> dict[str, Any]:
        return verify_id_token(
            id_token,
            issuer=self.issuer,
            jwks=self.jwks,
            client=self.client(request.role),
            nonce=request.nonce,
            **hashes,
        )

    async def complete(self, request: AuthRequest, visit: Visit) -> Flow:
        """Redeem the code a visit brought back and verify the tokens (Core §3.1.3)."""
        params = visit.arrival.params
        check(
            "error" not in params,
            f"authorization error {params.get('error')}: {params.get('error_description')}",
        )
        check("code" in params, f"no code in {visit.arrival.mode} response")
        answer = await self.redeem(request, params["code"])
        check(answer.status_code == 200, f"token endpoint {answer.status_code}: {answer.text}")
        check("no-store" in answer.headers.get("cache-control", ""), "token response cacheable")
        tokens: dict[str, Any] = answer.json()
        check(str(tokens.get("token_type", "")).lower() == "bearer", "token_type is not Bearer")
        check(isinstance(tokens.get("id_token"), str), "no id_token from the token endpoint")
        claims = self.verify(request, tokens["id_token"], access_token=tokens.get("access_token"))
        return Flow(request, visit, tokens, claims)

    async def code_flow(self, role: str = "client", **params: str | None) -> Flow:
        request = self.request(role, **params)
        return await self.complete(request, await self.authorize(request))

    async def userinfo(self, access_token: str, how: str = "get") -> dict[str, Any]:
        """UserInfo by GET or POST with a bearer header, or POST with a form body (RFC 6750 §2)."""
        url = self.endpoint("userinfo_endpoint")
        bearer = {"Authorization": f"Bearer {access_token}"}
        if how == "get":
            answer = await self.http.get(url, headers=bearer)
        elif how == "post-header":
            answer = await self.http.post(url, headers=bearer)
        else:
            answer = await self.http.post(url, data={"access_token": access_token})
        check(answer.status_code == 200, f"userinfo ({how}) {answer.status_code}: {answer.text}")
        check(
            answer.headers.get("content-type", "").startswith("application/json"),
            "userinfo is not JSON (signed UserInfo is not requested here)",
        )
        found: dict[str, Any] = answer.json()
        return found

    @asynccontextmanager
    async def stranger(self) -> AsyncIterator[Person]:
        """A browser with no session at the provider, as the suite's fresh browser is."""
        person = await Person.open(
            self.browser, self.person.email, self.person.password, self.seed["suite"], self.issuer
        )
        try:
            yield person
        finally:
            await person.close()
