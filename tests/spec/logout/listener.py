"""A relying party's back-channel logout endpoint on a real HTTP listener (BCL §2.5), which
answers 500 to the first `failures` requests and 200 after, recording every token it got."""

from __future__ import annotations

import asyncio
import threading
import time
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.oauth_servers import LoopbackServer

PATH = "/backchannel-logout"


class BackChannelListener(LoopbackServer):
    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.uri = self.base_url + PATH
        self._failures = failures
        self._lock = threading.Lock()
        self.accepted: list[str] = []
        self.refused: list[str] = []
        self.content_types: list[str] = []

    def routes(self) -> list[Route]:
        return [Route(PATH, self._receive, methods=["POST"])]

    async def _receive(self, request: Request) -> Response:
        form = parse_qs((await request.body()).decode("ascii"), strict_parsing=True)
        (token,) = form["logout_token"]
        with self._lock:
            self.content_types.append(request.headers.get("content-type", ""))
            if len(self.refused) < self._failures:
                self.refused.append(token)
                return Response(status_code=500)
            self.accepted.append(token)
        return Response(status_code=200)

    async def wait_for(self, accepted: int, patience: float = 15.0) -> list[str]:
        """The tokens accepted, once there are `accepted` of them; fails after `patience` s."""
        deadline = time.monotonic() + patience
        while len(self.accepted) < accepted:
            assert time.monotonic() < deadline, f"{len(self.accepted)} of {accepted} delivered"
            await asyncio.sleep(0.05)
        with self._lock:
            return list(self.accepted)
