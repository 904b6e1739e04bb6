"""`ciam-oidc clients initial-token` and the OpenID Connect metadata flags of `clients create`,
as an operator runs them; the token printed is then used at POST /connect/register by the
application opened in this process on the same database."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ciam_oidc.app import create_app
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.store.client_registration import SqlInitialAccessTokenStore
from tests.e2e.processes import (
    Invocation,
    Workspace,
    fresh_workspace,
    opened_provider,
    parse_json,
    run_concurrently,
)
from tests.spec.http import http_client

HYBRID_CLIENT = [
    *("clients", "create", "--name", "Shop", "--redirect-uri", "https://shop.example/cb"),
    *("--grant-type", "authorization_code", "--grant-type", "implicit"),
    *("--response-type", "code", "--response-type", "code id_token"),
    *("--subject-type", "pairwise", "--request-object-signing-alg", "none"),
    *("--backchannel-logout-uri", "https://shop.example/bc-logout"),
    *("--initiate-login-uri", "https://shop.example/login"),
    *("--userinfo-signed-response-alg", "RS256", "--json"),
]


@dataclass(frozen=True)
class RegistrationStory:
    workspace: Workspace
    initial: dict[str, Any]
    hybrid: dict[str, Any]


async def _ensure_ready(workspace: Workspace) -> None:
    async with opened_provider(workspace) as provider:
        await provider.ensure_ready()


@pytest.fixture(scope="module")
def story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RegistrationStory:
    workspace = fresh_workspace(request, "sqlite", tmp_path_factory.mktemp("registration"))
    asyncio.run(_ensure_ready(workspace))
    initial, hybrid = run_concurrently(
        Invocation(
            workspace, ("clients", "initial-token", "--label", "suite", "--ttl", "3600", "--json")
        ),
        Invocation(workspace, HYBRID_CLIENT),
    )
    return RegistrationStory(workspace, parse_json(initial), parse_json(hybrid))


def test_create_takes_the_openid_connect_metadata_flags(story: RegistrationStory) -> None:
    shown = story.hybrid
    assert shown["response_types"] == ["code", "code id_token"]
    assert shown["grant_types"] == ["authorization_code", "implicit"]
    assert shown["subject_type"] == "pairwise"
    assert shown["backchannel_logout_uri"] == "https://shop.example/bc-logout"
    assert shown["initiate_login_uri"] == "https://shop.example/login"
    assert shown["request_object_signing_alg"] == "none"
    assert shown["userinfo_signed_response_alg"] == "RS256"


def test_the_initial_token_is_printed_once_and_stored_as_a_digest(
    story: RegistrationStory,
) -> None:
    token = story.initial["initial_access_token"]
    assert story.initial["label"] == "suite"
    assert story.initial["expires_at"]

    async def valid() -> bool:
        async with opened_provider(story.workspace) as provider:
            store = SqlInitialAccessTokenStore(provider.database)
            digest = hashlib.sha256(token.encode()).hexdigest()
            return await store.initial_token_is_valid(digest, utc_now())

    assert asyncio.run(valid())
    database = Path(story.workspace.database_url.removeprefix("sqlite+aiosqlite:///"))
    assert token.encode() not in database.read_bytes()


def test_the_initial_token_registers_a_client(story: RegistrationStory) -> None:
    async def registered() -> int:
        app = create_app(story.workspace.provider_settings())
        async with (
            app.router.lifespan_context(app),
            http_client(app, "http://localhost:8000") as http,
        ):
            response = await http.post(
                "/connect/register",
                json={"redirect_uris": ["https://rp.example/cb"]},
                headers={"Authorization": f"Bearer {story.initial['initial_access_token']}"},
            )
            return response.status_code

    assert asyncio.run(registered()) == 201
