"""`ciam-oidc audit list`: operators read the security events, filtered, as text or JSON."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ciam_oidc.authn.audit import EventType
from tests.e2e.processes import Workspace, assert_refused, fresh_workspace, opened_provider


async def _record_some_events(workspace: Workspace) -> None:
    async with opened_provider(workspace) as provider:
        await provider.audit.record(EventType.SIGN_IN_FAILED, "alice", "203.0.113.9", method="pwd")
        await provider.audit.record(EventType.SIGN_IN_SUCCEEDED, "alice", "203.0.113.9")
        await provider.audit.record(EventType.PASSWORD_RESET, "bob")


@pytest.fixture
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Workspace:
    workspace = fresh_workspace(request, "sqlite", tmp_path)
    asyncio.run(_record_some_events(workspace))
    return workspace


def test_events_are_listed_newest_first_and_filtered(workspace: Workspace) -> None:
    everything = workspace.run_json("audit", "list")
    assert [event["type"] for event in everything] == [
        "password.reset",
        "sign_in.succeeded",
        "sign_in.failed",
    ]
    assert everything[2] == everything[2] | {"sub": "alice", "ip": "203.0.113.9", "method": "pwd"}
    alices = workspace.run_json("audit", "list", "--sub", "alice", "--type", "sign_in.failed")
    assert [event["type"] for event in alices] == ["sign_in.failed"]
    assert len(workspace.run_json("audit", "list", "--limit", "1")) == 1
    assert workspace.run_json("audit", "list", "--since", "2999-01-01T00:00:00Z") == []


def test_a_time_without_a_zone_is_refused(workspace: Workspace) -> None:
    refused = workspace.run("audit", "list", "--since", "2026-01-01T00:00")
    assert_refused(refused, 2, "ciam-oidc audit list: error: argument --since", one_line=False)
