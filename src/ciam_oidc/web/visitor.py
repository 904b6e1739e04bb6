"""Who sent a request: the client address (as uvicorn resolved it behind trusted proxies,
`--forwarded-allow-ips`) and the browser's own description of itself."""

from __future__ import annotations

from starlette.requests import Request

from ciam_oidc.authn.authenticators import Visitor

_USER_AGENT_LENGTH = 255


def visitor_of(request: Request) -> Visitor:
    return Visitor(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent", "")[:_USER_AGENT_LENGTH],
    )
