"""Interop harness: a real relying-party library (npm's openid-client v6, run by Node) and a
real Chromium (npm's playwright-core over Debian's `chromium`) against `ciam-oidc serve`.

The harness installs its Node packages itself (`npm ci` from the committed lock file) and
fails, never skips, when a tool it needs is missing (`make test` installs Chromium).

`node rp.mjs SCENARIO` performs one scenario and prints what it observed as one JSON object;
`run_rp` returns that object and the tests make every assertion.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.processes import (
    Invocation,
    Workspace,
    describe,
    free_ports,
    fresh_workspace,
    parse_json,
    run_concurrently,
    serving,
)

INTEROP_DIR = Path(__file__).parent
PACKAGE_LOCK = INTEROP_DIR / "package-lock.json"
NODE_MODULES = INTEROP_DIR / "node_modules"
RP_SCRIPT = INTEROP_DIR / "rp.mjs"
CHROMIUM = Path("/usr/bin/chromium")
NPM_CI_TIMEOUT_S = 300.0

RP_WAIT_MS = 30_000  # the bound on every single wait inside rp.mjs
RP_DEADLINE_MS = 240_000  # the bound on a whole scenario; its JSON comes out even then
AUTH_METHODS = ("client_secret_post", "client_secret_basic")
MACHINE_SCOPE = "reports:read"
WEB_SCOPE = "openid profile email offline_access"
USER_EMAIL = "alice@example.com"
USER_PASSWORD = "correct horse battery staple 42"
USER_NAME = "Alice Example"
CALLBACK_PATH = "/callback"  # as rp.mjs serves them
LOGGED_OUT_PATH = "/logged-out"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH: the interop tests need Node 20 and npm")
    return path


def node_modules_are_current() -> bool:
    """Installed, and not older than the lock file (as the Makefile's interop-deps decides)."""
    return NODE_MODULES.is_dir() and NODE_MODULES.stat().st_mtime >= PACKAGE_LOCK.stat().st_mtime


@pytest.fixture(scope="session")
def node() -> str:
    """The `node` executable, with this folder's packages installed from the lock file."""
    node = _tool("node")
    if not node_modules_are_current():
        command = [_tool("npm"), "ci", "--no-audit", "--no-fund"]
        result = subprocess.run(
            command,
            cwd=INTEROP_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` in {INTEROP_DIR} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        os.utime(NODE_MODULES)  # npm ci may leave the folder's mtime as it was
    return node


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium when run as root "
            "(or run `apt-get update && apt-get install -y chromium`)"
        )
    return CHROMIUM


@dataclass(frozen=True)
class Deployment:
    """One `ciam-oidc serve` with the clients and the customer the scenarios use."""

    issuer: str
    redirect_port: int
    web_client: Mapping[str, Any]
    machine_clients: Mapping[str, Mapping[str, Any]]  # by token_endpoint_auth_method
    user: Mapping[str, Any]


def _create_client(workspace: Workspace, *args: str) -> Invocation:
    return Invocation(workspace, ("clients", "create", *args, "--json"))


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """The server on a migrated SQLite database, set up with the CLI as an operator would."""
    workspace = fresh_workspace(request, "sqlite", tmp_path_factory.mktemp("interop"))
    port, redirect_port = free_ports(2)
    issuer, rp = f"http://localhost:{port}", f"http://localhost:{redirect_port}"
    workspace = workspace.with_settings(CIAM_ISSUER=issuer)
    web, user, *machines = run_concurrently(
        _create_client(
            workspace,
            *("--name", "openid-client web app", "--scope", WEB_SCOPE),
            *("--redirect-uri", f"{rp}{CALLBACK_PATH}"),
            *("--post-logout-redirect-uri", f"{rp}{LOGGED_OUT_PATH}"),
            *("--grant-type", "authorization_code", "--grant-type", "refresh_token"),
            *("--auth-method", "client_secret_post"),
        ),
        Invocation(
            workspace,
            (
                *("users", "create", "--email", USER_EMAIL, "--name", USER_NAME),
                *("--email-verified", "--password-stdin", "--json"),
            ),
            stdin=f"{USER_PASSWORD}\n",
        ),
        *(
            _create_client(
                workspace,
                *("--name", f"openid-client machine ({method})", "--scope", MACHINE_SCOPE),
                *("--grant-type", "client_credentials", "--auth-method", method),
            )
            for method in AUTH_METHODS
        ),
    )
    machine_clients = dict(zip(AUTH_METHODS, map(parse_json, machines), strict=True))
    with serving(workspace, port):
        yield Deployment(issuer, redirect_port, parse_json(web), machine_clients, parse_json(user))


def rp_settings(deployment: Deployment, client: Mapping[str, Any]) -> dict[str, str]:
    return {
        "RP_ISSUER": deployment.issuer,
        "RP_CLIENT_ID": client["client_id"],
        "RP_CLIENT_SECRET": client["client_secret"],
        "RP_AUTH_METHOD": client["token_endpoint_auth_method"],
    }


def browser_settings(deployment: Deployment, chromium: Path, scope: str) -> dict[str, str]:
    """The web client's settings for a scenario that signs the customer in with Chromium."""
    return rp_settings(deployment, deployment.web_client) | {
        "RP_SCOPE": scope,
        "RP_REDIRECT_PORT": str(deployment.redirect_port),
        "RP_USER_EMAIL": USER_EMAIL,
        "RP_USER_PASSWORD": USER_PASSWORD,
        "RP_CHROMIUM": str(chromium),
    }


def run_rp(node: str, scenario: str, settings: Mapping[str, str]) -> dict[str, Any]:
    """`node rp.mjs SCENARIO` with RP_* settings; the one JSON object it printed."""
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("RP_", "CIAM_"))
    }
    env |= {"RP_WAIT_MS": str(RP_WAIT_MS), "RP_DEADLINE_MS": str(RP_DEADLINE_MS), **settings}
    result = subprocess.run(
        [node, str(RP_SCRIPT), scenario],
        cwd=INTEROP_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=RP_DEADLINE_MS / 1000 + 30,  # rp.mjs prints what it has at its own deadline
        check=False,
    )
    assert result.returncode == 0, describe(result)
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["scenario"] == scenario, describe(result)
    assert "fatal" not in report, describe(result)
    assert not report.get("deadline_exceeded"), describe(result)
    return report
