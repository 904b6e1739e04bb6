"""HTTP 429 for a network over its limit (RFC 6585 §4), before the route does any work.

Routes call `RateLimits.admit` first thing after reading their form, so a refused request
costs one counter update and nothing else: no password hash, no mail, no account lookup.
"""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.authn.durations import wait_in_words
from ciam_oidc.authn.ip_limits import Action, IpLimits
from ciam_oidc.web.pages import Pages
from ciam_oidc.web.visitor import visitor_of


class RateLimits:
    def __init__(self, limits: IpLimits, pages: Pages) -> None:
        self._limits = limits
        self._pages = pages

    async def admit(self, request: Request, action: Action) -> Response | None:
        """Count the request; None to go on, else the 429 page to answer with."""
        wait = await self._limits.wait_before(visitor_of(request).ip, action)
        if wait is None:
            return None
        # RFC 9110 §10.2.3: Retry-After in whole seconds, rounded up like the page's words.
        seconds = max(1, math.ceil(wait.total_seconds()))
        return self._pages.render(
            "too_many_requests.html",
            {"wait": wait_in_words(wait)},
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
