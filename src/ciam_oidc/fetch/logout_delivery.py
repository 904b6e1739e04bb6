"""POSTing logout tokens to relying parties (OpenID Connect Back-Channel Logout 1.0 §2.5).

No redirects (§2.5 gives none a meaning, and following one would send the token somewhere
the client never registered) and a timeout, since the RP's server may hang.
"""

from __future__ import annotations

import httpx

from ciam_oidc.authn.logout_channels import DeliveryFailed

DELIVERY_TIMEOUT = 10.0
# BCL §2.8: success is 200 OK; the spec notes that some frameworks answer 204 instead.
_ACCEPTED = {httpx.codes.OK, httpx.codes.NO_CONTENT}


class HttpLogoutTokenSender:
    """Implements authn.logout_channels.LogoutTokenSender."""

    def __init__(
        self, timeout: float = DELIVERY_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._http = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
        )

    async def send(self, uri: str, logout_token: str) -> None:
        try:
            # BCL §2.5: a form-encoded POST with the token as its only parameter.
            response = await self._http.post(uri, data={"logout_token": logout_token})
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{uri} could not be reached: {type(error).__name__}") from None
        if response.status_code not in _ACCEPTED:
            raise DeliveryFailed(f"{uri} answered {response.status_code}")

    async def aclose(self) -> None:
        await self._http.aclose()
