"""`ciam-oidc clients create` for clients that authenticate with JWT assertions, as an operator
runs it: `--auth-method private_key_jwt --jwks-file` and `--auth-method client_secret_jwt`.

The commands run once, at the same time, in a module fixture; the registered client is then
tried at POST /token by the application opened in this process on the same database.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from ciam_oidc.app import create_app
from ciam_oidc.crypto.secrets import new_secret
from tests.e2e.processes import (
    CliResult,
    Invocation,
    Workspace,
    assert_refused,
    fresh_workspace,
    opened_provider,
    parse_json,
    run_concurrently,
)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
MIN_HMAC_SECRET_CHARS = 86  # 512 bits, base64url-encoded
MACHINE = ("clients", "create", "--name", "Payroll job", "--grant-type", "client_credentials")


@dataclass(frozen=True)
class AssertionClientsStory:
    workspace: Workspace
    key: ECKey
    with_keys: dict[str, Any]
    with_secret: dict[str, Any]
    private_key_file: CliResult
    missing_file: CliResult


def with_jwks_file(path: Path) -> tuple[str, ...]:
    """The command as the README documents it."""
    return (*MACHINE, "--auth-method", "private_key_jwt", "--jwks-file", str(path))


async def _ensure_ready(workspace: Workspace) -> None:
    async with opened_provider(workspace) as provider:
        await provider.ensure_ready()


@pytest.fixture(scope="module")
def story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AssertionClientsStory:
    directory = tmp_path_factory.mktemp("client-assertions")
    workspace = fresh_workspace(request, "sqlite", directory)
    # Signing keys first, so no command logs their creation and none races to bootstrap them.
    asyncio.run(_ensure_ready(workspace))
    key = ECKey.generate_key("P-256", parameters={"kid": "payroll-1"})
    public, private = directory / "jwks.json", directory / "private-jwks.json"
    public.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    private.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    with_keys, with_secret, private_key_file, missing_file = run_concurrently(
        Invocation(workspace, (*with_jwks_file(public), "--json")),
        Invocation(workspace, (*MACHINE, "--auth-method", "client_secret_jwt", "--json")),
        Invocation(workspace, with_jwks_file(private)),
        Invocation(workspace, with_jwks_file(directory / "absent.json")),
    )
    return AssertionClientsStory(
        workspace,
        key,
        parse_json(with_keys),
        parse_json(with_secret),
        private_key_file,
        missing_file,
    )


def test_private_key_jwt_client_is_shown_with_its_public_keys_and_no_secret(
    story: AssertionClientsStory,
) -> None:
    created = story.with_keys
    assert created["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in created
    assert created["jwks"] == {"keys": [story.key.as_dict(private=False)]}
    for jwk in created["jwks"]["keys"]:
        assert not PRIVATE_MEMBERS & jwk.keys()


def test_client_secret_jwt_client_gets_its_secret_printed_once(
    story: AssertionClientsStory,
) -> None:
    created = story.with_secret
    assert created["token_endpoint_auth_method"] == "client_secret_jwt"
    assert len(created["client_secret"]) >= MIN_HMAC_SECRET_CHARS
    assert "jwks" not in created


def test_a_jwks_file_holding_a_private_key_is_refused(story: AssertionClientsStory) -> None:
    assert_refused(story.private_key_file, 2, "ciam-oidc: error: invalid_client_metadata:")
    assert "public keys only" in story.private_key_file.stderr


def test_a_missing_jwks_file_is_refused(story: AssertionClientsStory) -> None:
    assert_refused(story.missing_file, 1, "ciam-oidc: error: cannot read --jwks-file")


async def test_the_registered_client_gets_a_token_with_an_assertion_signed_by_its_key(
    story: AssertionClientsStory,
) -> None:
    settings = story.workspace.provider_settings()
    client_id = story.with_keys["client_id"]
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": settings.issuer + "/token",
        "exp": now + 60,
        "jti": new_secret(16),
    }
    assertion = jwt.encode({"alg": "ES256", "kid": "payroll-1"}, claims, story.key, ["ES256"])
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.issuer) as http,
    ):
        response = await http.post(
            "/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
        )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"
