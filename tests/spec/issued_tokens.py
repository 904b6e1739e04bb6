"""Real tokens for the spec tests of the endpoints that take them back (userinfo, revocation,
introspection), obtained the way production issues them: POST /token.

Expired tokens are issued in the past by the same issuers
and keys, since the application's clock is the real one.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from ciam_oidc.app import Provider
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.protocol.authorization_codes import issue_authorization_code, new_grant_id
from ciam_oidc.protocol.authorizations import Authentication, Authorization
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.protocol.grants.refresh_token import issue_refresh_token
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer
from ciam_oidc.protocol.tokens.access_token_verifier import LEEWAY
from ciam_oidc.store.grants import SqlGrantStore
from tests.spec.browser import REDIRECT_URI, VERIFIER, challenge, register_rp


@dataclass(frozen=True)
class Party:
    """A registered client and the secret it authenticates with (None for a public client)."""

    client_id: str
    secret: str | None

    def auth(self) -> dict[str, str]:
        """client_secret_basic headers; a public client identifies itself in the form."""
        if self.secret is None:
            return {}
        pair = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def form(self, **fields: str) -> dict[str, str]:
        return fields if self.secret is not None else {"client_id": self.client_id, **fields}


async def machine_client(provider: Provider, scope: str = "invoices:read") -> Party:
    request = ClientRequest(name="Billing job", grant_types=("client_credentials",), scope=scope)
    client, secret = register_client(request, utc_now())
    await provider.clients.add_client(client)
    return Party(client.client_id, secret)


async def web_client(provider: Provider, **changes: object) -> Party:
    """A relying party allowed the code and refresh token grants (tests/spec/browser.py)."""
    rp = await register_rp(provider, **changes)
    return Party(rp.client_id, rp.secret or None)


async def machine_token(http: httpx.AsyncClient, party: Party) -> str:
    form = party.form(grant_type="client_credentials")
    response = await http.post("/token", data=form, headers=party.auth())
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def authorization_code(provider: Provider, party: Party, sub: str, scope: str) -> str:
    """A code as the authorization endpoint ends with one, after sign-in and consent."""
    authorization = Authorization(
        grant_id=new_grant_id(),
        client_id=party.client_id,
        authentication=Authentication(sub=sub, auth_time=utc_now(), acr="", amr=("pwd",)),
        scope=tuple(scope.split()),
        redirect_uri=REDIRECT_URI,
        nonce="n-456",
        code_challenge=challenge(),
        claims=None,
        session_id=None,
    )
    grants = SqlGrantStore(provider.database)
    return await issue_authorization_code(grants, grants, authorization, utc_now(), ttl=60)


async def exchange_code(http: httpx.AsyncClient, party: Party, code: str) -> httpx.Response:
    form = party.form(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=VERIFIER,
    )
    return await http.post("/token", data=form, headers=party.auth())


async def user_tokens(
    http: httpx.AsyncClient,
    provider: Provider,
    party: Party,
    sub: str,
    scope: str = "openid email offline_access",
) -> dict[str, Any]:
    """The token response for a person's authorization: access, ID and (with offline_access)
    refresh token, all of one grant."""
    response = await exchange_code(
        http, party, await authorization_code(provider, party, sub, scope)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(http: httpx.AsyncClient, party: Party, refresh_token: str) -> httpx.Response:
    form = party.form(grant_type="refresh_token", refresh_token=refresh_token)
    return await http.post("/token", data=form, headers=party.auth())


async def introspect(
    http: httpx.AsyncClient, party: Party, token: str, **fields: str
) -> httpx.Response:
    return await http.post(
        "/introspect", data=party.form(token=token, **fields), headers=party.auth()
    )


async def revoke(
    http: httpx.AsyncClient, party: Party, token: str, **fields: str
) -> httpx.Response:
    return await http.post("/revoke", data=party.form(token=token, **fields), headers=party.auth())


async def userinfo(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def _past(seconds: float) -> datetime:
    """A moment far enough back that a token issued then has expired, leeway included."""
    return utc_now() - timedelta(seconds=seconds) - LEEWAY - timedelta(seconds=1)


async def expired_access_token(
    provider: Provider,
    party: Party,
    sub: str | None = None,
    scope: tuple[str, ...] = ("invoices:read",),
) -> str:
    """An access token to `party` as POST /token issued it, one lifetime ago: about `sub`
    (a person; the client itself if None) for `scope`."""
    settings = provider.settings
    issuer = AccessTokenIssuer(
        provider.keyring,
        settings.issuer,
        settings.access_token_signing_alg,
        settings.access_token_ttl,
    )
    issued = await issuer.issue(
        sub=sub or party.client_id,
        client_id=party.client_id,
        scope=scope,
        now=_past(settings.access_token_ttl),
    )
    return issued.token


async def expired_refresh_token(provider: Provider, party: Party, sub: str) -> str:
    """A refresh token of a live grant, issued one refresh token lifetime ago."""
    ttl = provider.settings.refresh_token_ttl
    grants = SqlGrantStore(provider.database)
    grant_id, issued_at = new_grant_id(), _past(ttl)
    await grants.create_grant(grant_id, party.client_id, sub, issued_at)
    return await issue_refresh_token(
        grants,
        grant_id=grant_id,
        client_id=party.client_id,
        authentication=Authentication(sub=sub, auth_time=issued_at, acr="", amr=("pwd",)),
        scope=("openid", "offline_access"),
        now=issued_at,
        ttl=ttl,
    )
