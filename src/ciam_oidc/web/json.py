"""JSON responses encoded once with orjson: faster than the standard encoder, same bytes out."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def cacheable_json(content: Any, max_age: int, media_type: str | None = None) -> Response:
    """A public document every node serves alike, so shared caches may keep it."""
    return JSONResponse(
        content,
        headers={"Cache-Control": f"public, max-age={max_age}"},
        media_type=media_type,
    )
