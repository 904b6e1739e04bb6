"""Several `ciam-oidc serve` nodes behind one issuer, sharing one PostgreSQL database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.processes import (
    ServerProcess,
    eventually,
    free_ports,
    fresh_workspace,
    kids,
    serving_together,
)

ISSUER = "https://id.example.com"
KEY_CACHE_SECONDS = 1
AGREEMENT_WITHIN_S = 5.0  # the key cache lifetime bounds how stale a node may be


def _key_sets(nodes: Sequence[ServerProcess]) -> list[dict[str, Any]]:
    return [node.jwks() for node in nodes]


def _all_equal(documents: Sequence[Any]) -> bool:
    return all(document == documents[0] for document in documents)


def test_nodes_sharing_a_database_publish_the_same_documents_before_and_after_a_rotation(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    workspace = fresh_workspace(request, "postgresql", tmp_path).with_settings(
        CIAM_ISSUER=ISSUER, CIAM_KEY_CACHE_SECONDS=str(KEY_CACHE_SECONDS)
    )
    # Started together on an empty key table, as a fresh deployment would start them.
    with serving_together(*((workspace, port) for port in free_ports(2))) as nodes:
        discoveries = [node.discovery() for node in nodes]
        assert discoveries[0]["issuer"] == ISSUER
        assert _all_equal(discoveries), discoveries
        before = eventually(lambda: _key_sets(nodes), _all_equal, AGREEMENT_WITHIN_S)
        assert _all_equal(before), before

        new_kids = {key["kid"] for key in workspace.run_json("keys", "rotate")}

        def published_everywhere(key_sets: list[dict[str, Any]]) -> bool:
            return _all_equal(key_sets) and all(new_kids <= kids(jwks) for jwks in key_sets)

        after = eventually(lambda: _key_sets(nodes), published_everywhere, AGREEMENT_WITHIN_S)
    assert all(new_kids <= kids(jwks) for jwks in after), (new_kids, after)
    assert _all_equal(after), after
    assert kids(before[0]) <= kids(after[0]), "the keys in use must stay published"
