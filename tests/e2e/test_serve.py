"""`ciam-oidc serve` as a relying party meets it: real server processes, real HTTP, SQLite."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, KeySetSerialization

from tests.e2e.processes import (
    DISCOVERY_PATH,
    ServerProcess,
    Workspace,
    assert_refused,
    eventually,
    free_port,
    fresh_workspace,
    kids,
    opened_provider,
    serving,
)

DEFAULT_ISSUER = "http://localhost:8000"
DEFAULT_SIGNING_ALGS = {"RS256", "ES256", "Ed25519"}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}  # RFC 7518 §6.2.2, §6.3.2, §6.4
JWKS_MAX_AGE_SECONDS = 120
ROTATION_VISIBLE_WITHIN_S = 5.0


@dataclass(frozen=True)
class Deployment:
    server: ServerProcess
    issuer: str
    issuer_is_this_server: bool

    def reachable(self, published_url: str) -> str:
        """Follow a published URL as a client would; the default issuer's port 8000 is not
        this test server's, so its URLs are sent to the server's real port instead."""
        return published_url if self.issuer_is_this_server else self.server.local_url(published_url)


@pytest.fixture(scope="module", params=["default-issuer", "custom-issuer"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    workspace = fresh_workspace(request, "sqlite", tmp_path_factory.mktemp(request.param))
    workspace = workspace.with_settings(CIAM_JWKS_MAX_AGE_SECONDS=str(JWKS_MAX_AGE_SECONDS))
    port = free_port()
    custom = request.param == "custom-issuer"
    issuer = f"http://localhost:{port}" if custom else DEFAULT_ISSUER
    if custom:
        workspace = workspace.with_settings(CIAM_ISSUER=issuer)
    with serving(workspace, port) as server:
        yield Deployment(server, issuer, issuer_is_this_server=custom)


def test_discovery_document_names_the_configured_issuer(deployment: Deployment) -> None:
    response = deployment.server.get(DISCOVERY_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["issuer"] == deployment.issuer
    assert document["jwks_uri"].startswith(f"{deployment.issuer}/")


def _served_jwks(deployment: Deployment) -> tuple[dict[str, Any], str]:
    """The key set at the published jwks_uri, and its Cache-Control header."""
    jwks_uri = deployment.server.discovery()["jwks_uri"]
    response = deployment.server.get(deployment.reachable(jwks_uri))
    assert response.status_code == 200, response.text
    return response.json(), response.headers.get("cache-control", "")


def test_jwks_publishes_one_public_signing_key_per_algorithm(deployment: Deployment) -> None:
    keys = _served_jwks(deployment)[0]["keys"]
    assert len(kids({"keys": keys})) == len(keys), "kids must be unique"
    assert {key["alg"] for key in keys} == DEFAULT_SIGNING_ALGS
    for key in keys:
        assert key["use"] == "sig", key
        assert not PRIVATE_MEMBERS & set(key), key


def test_jwks_may_be_cached_for_the_configured_max_age(deployment: Deployment) -> None:
    cache_control = _served_jwks(deployment)[1]
    assert re.search(rf"\bmax-age={JWKS_MAX_AGE_SECONDS}\b", cache_control), cache_control


def test_health_and_readiness_checks_pass(deployment: Deployment) -> None:
    assert deployment.server.get("/healthz").status_code == 200
    ready = deployment.server.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_serve_on_an_unmigrated_database_exits_at_once_telling_to_migrate(
    tmp_path: Path,
) -> None:
    workspace = Workspace(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    result = workspace.run("serve", "--port", str(free_port()), timeout=20)
    assert_refused(result, 1, "ciam-oidc: error:")
    assert "run `ciam-oidc migrate`" in result.stderr


async def _sign_with_current_key(
    workspace: Workspace, alg: str, claims: dict[str, Any]
) -> tuple[str, str]:
    """(kid, token): signed in this process by the key ring, as a token endpoint would."""
    async with opened_provider(workspace) as provider:
        kid, key = await provider.keyring.signing_key(alg)
    return kid, jwt.encode({"alg": alg, "kid": kid}, claims, key, algorithms=[alg])


def test_token_signed_before_a_rotation_still_verifies_against_the_served_jwks(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    workspace = fresh_workspace(request, "sqlite", tmp_path).with_settings(
        CIAM_KEY_CACHE_SECONDS="1"
    )
    claims = {"iss": DEFAULT_ISSUER, "sub": "alice", "aud": "my-app"}
    with serving(workspace) as server:
        old_kid, token = asyncio.run(_sign_with_current_key(workspace, "ES256", claims))
        (new_key,) = workspace.run_json("keys", "rotate", "--alg", "ES256")
        both = {old_kid, new_key["kid"]}
        jwks = eventually(
            server.jwks, lambda key_set: both <= kids(key_set, "ES256"), ROTATION_VISIBLE_WITHIN_S
        )
    assert both <= kids(jwks, "ES256"), jwks
    served = KeySet.import_key_set(KeySetSerialization(keys=jwks["keys"]))
    verified = jwt.decode(token, served, algorithms=["ES256"])
    assert verified.claims == claims
