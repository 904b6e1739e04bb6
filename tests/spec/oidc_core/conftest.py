"""Browser-facing behaviour runs under an https issuer, so cookies get their production form."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from tests.spec.browser import Browser
from tests.spec.http import http_client

ISSUER = "https://id.example.com"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"issuer": ISSUER}


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with http_client(app, ISSUER) as http:
        yield Browser(http)
