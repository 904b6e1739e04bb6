"""npm's openid-client v6 as the relying party of a real `ciam-oidc serve` (see conftest.py).

The server runs on a migrated SQLite database with `CIAM_ISSUER=http://localhost:PORT`; its
clients and customer are created with the CLI. `rp.mjs` reports what the library observed and
every assertion is made here.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ciam_oidc.web.jwks import JWKS_PATH
from ciam_oidc.web.token import TOKEN_PATH
from tests.interop.conftest import (
    AUTH_METHODS,
    MACHINE_SCOPE,
    USER_EMAIL,
    USER_NAME,
    WEB_SCOPE,
    Deployment,
    browser_settings,
    rp_settings,
    run_rp,
)

Report = dict[str, Any]
Step = dict[str, Any]


def passed(report: Report, name: str) -> Step:
    step: Step = report["steps"][name]
    assert step["ok"], json.dumps(report, indent=2)
    return step


def test_discovery_metadata_is_read_by_openid_client(node: str, deployment: Deployment) -> None:
    report = run_rp(node, "discovery", rp_settings(deployment, deployment.web_client))
    metadata = passed(report, "discovery")["metadata"]
    assert metadata["issuer"] == deployment.issuer
    assert metadata["jwks_uri"] == f"{deployment.issuer}{JWKS_PATH}"
    assert metadata["token_endpoint"] == f"{deployment.issuer}{TOKEN_PATH}"


@pytest.mark.parametrize("auth_method", AUTH_METHODS)
def test_client_credentials_grant_gives_a_jwt_access_token(
    node: str, deployment: Deployment, auth_method: str
) -> None:
    machine = deployment.machine_clients[auth_method]
    report = run_rp(node, "client_credentials", rp_settings(deployment, machine))
    tokens = passed(report, "client_credentials")
    assert tokens["token_type"] == "bearer"  # openid-client lower-cases "Bearer"
    assert tokens["scope"] == MACHINE_SCOPE
    assert not tokens["has_refresh_token"]
    assert not tokens["has_id_token"]
    header, claims = tokens["access_token"]["header"], tokens["access_token"]["claims"]
    assert header["typ"] == "at+jwt"  # RFC 9068 §2.1
    assert claims["client_id"] == machine["client_id"]
    assert claims["iss"] == deployment.issuer
    assert claims["scope"] == MACHINE_SCOPE
    assert claims["exp"] > claims["iat"]


# -- the browser flow: each step of rp.mjs's code_flow is judged on its own -------------------


@dataclass(frozen=True)
class Expected:
    issuer: str
    client_id: str
    sub: str  # the customer's, as `users create` printed it


Verifier = Callable[[Expected, Step], None]
ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "end_session_endpoint",
)


def _discovery(expected: Expected, step: Step) -> None:
    metadata = step["metadata"]
    missing = [name for name in ENDPOINTS if not metadata.get(name, "").startswith(expected.issuer)]
    assert not missing, f"metadata lacks {', '.join(missing)}"
    assert "S256" in metadata.get("code_challenge_methods_supported", [])


def _id_token(expected: Expected, tokens: Step) -> None:
    claims = tokens["id_token_claims"]  # as openid-client validated them (nonce included)
    assert tokens["id_token"]["header"]["alg"] == "RS256"  # the client's registered default
    assert claims["iss"] == expected.issuer
    assert expected.client_id in (
        [claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"]
    )
    assert claims["sub"] == expected.sub
    assert claims["nonce"]
    access = tokens["access_token"]
    assert tokens["token_type"] == "bearer"
    assert access["header"]["typ"] == "at+jwt"
    assert access["claims"]["sub"] == expected.sub
    assert access["claims"]["client_id"] == expected.client_id


def _authorize(expected: Expected, step: Step) -> None:
    assert step["login_page"], "a fresh browser was not shown the sign-in page"
    callback = step["callback"]
    assert callback["method"] == "GET"
    assert "error" not in callback["parameters"]
    assert callback["parameters"].get("code")
    assert callback["parameters"].get("state")


def _code_exchange(expected: Expected, step: Step) -> None:
    _id_token(expected, step)
    assert step["has_refresh_token"], "offline_access was asked for with prompt=consent"
    assert set(WEB_SCOPE.split()) <= set((step["scope"] or "").split())


def _userinfo(expected: Expected, step: Step) -> None:
    claims = step["claims"]
    assert claims["sub"] == expected.sub
    assert claims["email"] == USER_EMAIL
    assert claims["email_verified"] is True
    assert claims["name"] == USER_NAME


def _introspection(expected: Expected, step: Step) -> None:
    for kind in ("access_token", "refresh_token"):
        answer = step[kind]
        assert answer["active"] is True, kind
        assert answer["client_id"] == expected.client_id, kind
        assert answer["sub"] == expected.sub, kind


def _refreshed(expected: Expected, step: Step) -> None:
    assert step["refresh_token_rotated"]
    assert step["access_token"]["claims"]["sub"] == expected.sub
    if step["id_token"]:
        assert step["id_token"]["claims"]["sub"] == expected.sub


def _refused(step: Step, error: str) -> None:
    assert step["accepted"] is False, "the server accepted it"
    assert step["error"]["error"] == error
    assert step["error"]["status"] == 400


def _refresh_reuse(expected: Expected, step: Step) -> None:
    _refused(step, "invalid_grant")  # the first refresh token, already rotated twice


def _prompt_none_same_context(expected: Expected, step: Step) -> None:
    assert "error" not in step["callback"]["parameters"]
    assert step["callback"]["parameters"].get("code")
    _id_token(expected, step["tokens"])


def _revocation(expected: Expected, step: Step) -> None:
    assert step["before"]["active"] is True
    assert step["after"]["active"] is False
    _refused(step["refresh"], "invalid_grant")


def _login_required(expected: Expected, step: Step) -> None:
    parameters = step["callback"]["parameters"]
    assert parameters.get("error") == "login_required"
    assert "code" not in parameters
    assert step["library_error"]["error"] == "login_required"  # after openid-client's checks


def _prompt_none_fresh_context(expected: Expected, step: Step) -> None:
    _login_required(expected, step)
    assert step["callback"]["parameters"].get("state") == step["expected_state"]


def _form_post(expected: Expected, step: Step) -> None:
    callback = step["callback"]
    assert callback["method"] == "POST"
    assert (callback["content_type"] or "").startswith("application/x-www-form-urlencoded")
    assert callback["parameters"].get("code")
    assert not callback["query"], "form_post must not put the response in the URL"
    assert not step["login_page"], "the session from the first sign-in was not used"
    _id_token(expected, step["tokens"])


def _end_session(expected: Expected, step: Step) -> None:
    assert step["callback"]["method"] == "GET"
    assert step["callback"]["parameters"].get("state") == step["expected_state"]


CODE_FLOW_STEPS: dict[str, Verifier] = {
    "discovery": _discovery,
    "authorize": _authorize,
    "code_exchange": _code_exchange,
    "userinfo": _userinfo,
    "introspection": _introspection,
    "refresh_1": _refreshed,
    "refresh_2": _refreshed,
    "refresh_reuse": _refresh_reuse,
    "prompt_none_same_context": _prompt_none_same_context,
    "revocation": _revocation,
    "prompt_none_fresh_context": _prompt_none_fresh_context,
    "form_post": _form_post,
    "end_session": _end_session,
    "prompt_none_after_logout": _login_required,
}


def failed_steps(expected: Expected, report: Report) -> list[str]:
    """Every step that did not do what it should, each with why; one failure hides none."""
    failures = []
    for name, verify in CODE_FLOW_STEPS.items():
        step = report["steps"].get(name)
        try:
            assert step is not None, "did not run"
            assert step["ok"], step.get("skipped") or step.get("error")
            verify(expected, step)
        except (AssertionError, LookupError, TypeError) as error:  # a missing member too
            lines = [line for line in str(error).splitlines() if line != "assert False"]
            message = textwrap.indent("\n".join(lines) or type(error).__name__, "  ")
            failures.append(f"{name}: {message.strip()}")
    return failures


def test_code_flow_in_chromium_with_openid_client(
    node: str, chromium: Path, deployment: Deployment
) -> None:
    client = deployment.web_client
    report = run_rp(node, "code_flow", browser_settings(deployment, chromium, WEB_SCOPE))
    expected = Expected(deployment.issuer, client["client_id"], deployment.user["sub"])
    failures = failed_steps(expected, report)
    assert not failures, (
        "\n".join(failures) + "\n\nrp.mjs printed:\n" + json.dumps(report, indent=2)
    )
