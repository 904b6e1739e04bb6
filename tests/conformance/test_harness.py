"""The conformance kit end to end: seed a fresh `ciam-oidc serve` with `conformance.seed`,
run `conformance.harness` against it, and require every module to pass, or to be skipped
only where the plan's feature is not advertised (never in Basic, Config, Form Post and
RP-Initiated Logout, Dynamic, except where the suite itself skips)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance.harness.basic import SUITE_SKIPS

from tests.e2e.processes import ServerProcess, Workspace, free_port, fresh_workspace, serving

HARNESS_TIMEOUT_S = 300
# The acceptance criteria: none of these plans' modules may be skipped (but where the suite
# itself skips); open registration lets the Dynamic plan register as the suite does.
ALWAYS_RUN = ("basic", "config", "formpost", "rp-logout", "dynamic")
LINE = re.compile(r"^(PASS|FAIL|SKIP)\s+(\S+)\s+(\S+)")


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Workspace, ServerProcess, str]]:
    port = free_port()
    issuer = f"http://localhost:{port}"
    workspace = fresh_workspace(request, "sqlite", tmp_path_factory.mktemp("conformance"))
    # As an operator runs the official suite: its OP plans send no PKCE (conformance/README.md).
    workspace = workspace.with_settings(
        CIAM_ISSUER=issuer, CIAM_CLIENT_REGISTRATION="open", CIAM_PKCE_REQUIRED="public"
    )
    with serving(workspace, port) as server:
        yield workspace, server, issuer


def _python(workspace: Workspace, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=workspace.env(),
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_every_module_passes_or_is_skipped_for_a_stated_reason(
    deployment: tuple[Workspace, ServerProcess, str],
) -> None:
    workspace, _server, issuer = deployment
    out = workspace.directory / "conformance-out"
    seed_args = ("-m", "conformance.seed", "--issuer", issuer, "--out", str(out))
    seeded = _python(workspace, *seed_args, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    first = json.loads((out / "seed.json").read_text())
    again = _python(workspace, *seed_args, "--json", timeout=120)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["clients"] == first["clients"], "a rerun replaced clients"
    for path in out.iterdir():
        assert path.stat().st_mode & 0o077 == 0, f"{path}: secrets readable by others"
        assert "${" not in path.read_text(), f"{path}: a placeholder left unfilled"

    harness = _python(
        workspace,
        *("-m", "conformance.harness", "--issuer", issuer, "--seed", str(out / "seed.json")),
        "--without-pkce",
        timeout=HARNESS_TIMEOUT_S,
    )
    print(harness.stdout)
    assert harness.returncode == 0, harness.stdout + harness.stderr
    results = [LINE.match(line) for line in harness.stdout.splitlines()]
    found = [match.groups() for match in results if match]
    assert {plan for _, plan, _ in found} >= set(ALWAYS_RUN)
    assert not [r for r in found if r[0] == "FAIL"]
    skipped = [(plan, name) for status, plan, name in found if status == "SKIP"]
    assert not [
        (plan, name) for plan, name in skipped if plan in ALWAYS_RUN and name not in SUITE_SKIPS
    ]
