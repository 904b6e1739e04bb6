"""GET a document a client registered by URL, within bounds: https only (plain http on
loopback when the deployment itself runs there, for development and tests), no redirects, a
timeout and a size limit, so a client cannot make this server wait, fill memory, or follow a
redirect somewhere it could not name directly."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from ciam_oidc.protocol.ports import FetchFailed

MAX_BYTES = 64 * 1024
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class RemoteDocuments:
    def __init__(
        self,
        timeout: float,
        allow_loopback_http: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._allow_loopback_http = allow_loopback_http
        self._http = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
        )

    async def fetch(self, url: str) -> bytes:
        self._check(url)
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code != httpx.codes.OK:
                    raise FetchFailed(f"{url} answered {response.status_code}")
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise FetchFailed(f"{url} is larger than {MAX_BYTES} bytes")
                return body
        except httpx.HTTPError as error:
            raise FetchFailed(f"{url} could not be fetched: {type(error).__name__}") from None

    def _check(self, url: str) -> None:
        parts = urlsplit(url)
        loopback_http = parts.scheme == "http" and parts.hostname in _LOOPBACK
        if parts.scheme != "https" and not (loopback_http and self._allow_loopback_http):
            raise FetchFailed(f"{url} is not an https URL")

    async def aclose(self) -> None:
        await self._http.aclose()
