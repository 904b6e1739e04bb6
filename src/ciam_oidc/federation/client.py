"""`UpstreamClients`: this provider as the relying party of its upstreams (authn's
`UpstreamClient` port), one object per process shared by every upstream.

It keeps one connection pool and the per-URL caches of discovery documents and key sets;
everything about a single sign-in (state, nonce, PKCE verifier) arrives in the
`UpstreamRequest` the caller stored, so any node can finish a sign-in another node began.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from ciam_oidc.authn.upstreams import (
    Upstream,
    UpstreamIdentity,
    UpstreamKind,
    UpstreamRequest,
)
from ciam_oidc.federation.callback import authorization_code
from ciam_oidc.federation.discovery import Discovery, Endpoints, parse_metadata
from ciam_oidc.federation.documents import CachedDocuments
from ciam_oidc.federation.http import USER_AGENT, SharedTransport
from ciam_oidc.federation.jwks import UpstreamKeys, parse_key_set
from ciam_oidc.federation.oauth2 import oauth2_identity
from ciam_oidc.federation.oidc import OidcSignIn, oidc_identity
from ciam_oidc.federation.presets import Preset, preset_of
from ciam_oidc.federation.token_exchange import AsyncOAuth2Client, redeem_code, token_auth_method


class UpstreamClients:
    def __init__(
        self,
        timeout: float,
        metadata_ttl: int,
        clock: Callable[[], datetime],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`transport` is for tests (httpx.MockTransport); it is closed by `aclose`."""
        self._transport = transport or httpx.AsyncHTTPTransport()
        self._timeout = httpx.Timeout(timeout)
        self._clock = clock
        self._http = httpx.AsyncClient(
            transport=SharedTransport(self._transport),
            timeout=self._timeout,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,  # proxies from the environment would bypass `transport`
        )
        self._discovery = Discovery(
            CachedDocuments(self._http, metadata_ttl, clock, "discovery", parse_metadata)
        )
        self._keys = UpstreamKeys(
            CachedDocuments(self._http, metadata_ttl, clock, "JWKS", parse_key_set)
        )

    async def authorization_url(self, upstream: Upstream, request: UpstreamRequest) -> str:
        preset = preset_of(upstream)
        endpoints = await self._discovery.endpoints(upstream, preset)
        extra: dict[str, str] = {}
        if upstream.kind is UpstreamKind.OIDC:
            extra["nonce"] = request.nonce  # OpenID Connect Core §3.1.2.1
        response_mode = upstream.options.get("response_mode") or preset.response_mode
        if response_mode not in (None, "query"):  # query is every upstream's default
            extra["response_mode"] = response_mode
        async with self._oauth(upstream, preset, endpoints, request) as oauth:
            url, _ = oauth.create_authorization_url(
                endpoints.authorization,
                state=request.state,
                code_verifier=request.code_verifier,  # RFC 7636 §4.3, S256
                scope=" ".join(upstream.scopes) or None,
                **extra,
            )
        return str(url)

    async def finish(
        self, upstream: Upstream, request: UpstreamRequest, response: Mapping[str, str]
    ) -> UpstreamIdentity:
        preset = preset_of(upstream)
        endpoints = await self._discovery.endpoints(upstream, preset)
        code = authorization_code(response, request, endpoints)
        async with self._oauth(upstream, preset, endpoints, request) as oauth:
            token = await redeem_code(oauth, endpoints.token, code, request)
            if upstream.kind is UpstreamKind.OAUTH2:
                return await oauth2_identity(oauth, upstream, preset)
            sign_in = OidcSignIn(upstream, preset, endpoints, request, response, self._clock())
            return await oidc_identity(oauth, self._keys, sign_in, token)

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._transport.aclose()

    def _oauth(
        self, upstream: Upstream, preset: Preset, endpoints: Endpoints, request: UpstreamRequest
    ) -> Any:
        """authlib's client for one sign-in: it holds that sign-in's access token."""
        secret = (
            preset.client_secret(upstream, self._clock())
            if preset.client_secret is not None
            else upstream.client_secret
        )
        return AsyncOAuth2Client(
            client_id=upstream.client_id,
            client_secret=secret,
            token_endpoint_auth_method=token_auth_method(
                preset.token_auth_method, endpoints.token_auth_methods
            ),
            redirect_uri=request.redirect_uri,
            code_challenge_method="S256",
            leeway=0,  # authlib's own expiry check must not refuse a short-lived token
            transport=SharedTransport(self._transport),
            timeout=self._timeout,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )
