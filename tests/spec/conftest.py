"""Fixtures for behaviour tests that talk HTTP to the application the way clients do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from ciam_oidc.app import Provider
from ciam_oidc.settings import Settings
from tests.spec.browser import add_customer
from tests.spec.http import http_client
from tests.spec.issued_tokens import Party, web_client


@pytest.fixture
def provider(app: FastAPI) -> Provider:
    """The running application's own provider, so records a test adds are what it serves."""
    provider: Provider = app.state.provider
    return provider


@pytest.fixture
async def http(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app, settings.issuer) as client:
        yield client


@pytest.fixture
async def rp(provider: Provider) -> Party:
    return await web_client(provider)


@pytest.fixture
async def sub(provider: Provider) -> str:
    return await add_customer(provider)
