"""A passkey end to end in a real Chromium, its authenticator a DevTools virtual one.

rp.mjs's `passkey_flow` signs the customer in with the password, adds a passkey on the account
page, signs out through RP-initiated logout and signs in again with the passkey button alone;
openid-client redeems both codes, and the ID tokens must tell the two sign-ins apart (amr).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ciam_oidc.protocol.acr import MULTI_FACTOR, SINGLE_FACTOR
from tests.interop.conftest import Deployment, browser_settings, run_rp

SCOPE = "openid profile email"
# RFC 8176 §2: a key bound to one device ("hwk") or synced ("swk"); "user" for presence, "mfa"
# because the authenticator also verified the person.
KEY_PROOFS = {"hwk", "swk"}


def test_passkey_registered_after_a_password_then_signs_in_alone(
    node: str, chromium: Path, deployment: Deployment
) -> None:
    report = run_rp(node, "passkey_flow", browser_settings(deployment, chromium, SCOPE))
    steps: dict[str, Any] = report["steps"]
    failed = {name: step for name, step in steps.items() if not step["ok"]}
    assert not failed, json.dumps(report, indent=2)
    sub = deployment.user["sub"]

    first = steps["password_tokens"]["id_token_claims"]
    assert first["sub"] == sub
    assert first["amr"] == ["pwd"]
    assert first["acr"] == SINGLE_FACTOR

    added = steps["add_passkey"]
    assert added["listed"] == 1
    assert added["notice"] == "Passkey added. You can now sign in with it."
    [credential] = added["authenticator_credentials"]
    assert credential["is_resident_credential"], "a passkey must be discoverable"
    assert credential["rp_id"] == "localhost"
    assert credential["user_handle"] == sub  # WebAuthn §5.4.3: the opaque account id

    signed_out = steps["sign_out"]["callback"]
    assert signed_out["parameters"].get("state") == steps["sign_out"]["expected_state"]

    signing_in = steps["passkey_sign_in"]
    assert signing_in["login_page"], "the session survived the logout"
    assert not signing_in["password_form_submitted"], signing_in["form_posts"]
    assert [post["method"] for post in signing_in["form_posts"]] == ["passkey"]
    assert not signing_in["consent_page"], "consent given in the first sign-in was asked again"

    second = steps["passkey_tokens"]["id_token_claims"]
    assert second["sub"] == sub
    amr = set(second["amr"])
    assert {"user", "mfa"} <= amr
    assert len(amr & KEY_PROOFS) == 1, second["amr"]
    assert "pwd" not in amr
    assert second["acr"] == MULTI_FACTOR  # a user-verifying passkey is two factors in one
    [used] = steps["passkey_tokens"]["authenticator_credentials"]
    assert used["sign_count"] > credential["sign_count"]
