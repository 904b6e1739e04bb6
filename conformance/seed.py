"""Seed a deployment for the certification plans: the suite's clients and test user, then the
plan configurations with this deployment's values filled in.

Run it where `ciam-oidc` runs (same `CIAM_*` settings): it drives the `ciam-oidc` CLI, so it
needs no access of its own to the database. It is idempotent: a second run keeps the clients
and user its previous output (`seed.json`) names when they still exist as registered, and only
recreates what is missing or registered differently. The output holds client secrets and the
user's password: it is written readable by its owner only.

    python -m conformance.seed --issuer https://id.example.com [--suite URL] [--out DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from ciam_oidc.protocol.client_metadata import RESPONSE_TYPES
from conformance.plans import DEFAULT_ALIAS, DEFAULT_SUITE, PLANS, suite_urls

CONFIGS = Path(__file__).parent / "configs"
DEFAULT_OUT = Path("conformance-out")
SEED_FILE = "seed.json"
USER_EMAIL = "conformance@example.com"
SCOPE = "openid profile email address phone offline_access"
GRANTS = ("authorization_code", "implicit", "refresh_token")
QUERY_ADDED = "?foo=bar"
PLAN_URIS = ("frontchannel_logout_uri", "backchannel_logout_uri", "initiate_login_uri")
SESSION_REQUIRED = ("frontchannel_logout_session_required", "backchannel_logout_session_required")


@dataclass(frozen=True)
class ClientSpec:
    """One client the plans use; `role` is its key in the seed output and the configs."""

    role: str
    auth_method: str = "client_secret_basic"
    id_token_alg: str = "RS256"
    plan_uri: tuple[str, str] | None = None
    """(metadata name, plan key): a logout or initiate-login URI at that plan's alias."""

    def uri_option(self, suite: str, alias_prefix: str) -> list[str]:
        if self.plan_uri is None:
            return []
        name, plan = self.plan_uri
        alias = next(p.alias(alias_prefix) for p in PLANS if p.key == plan)
        option = [f"--{name.replace('_', '-')}", suite_urls(suite, alias)[name]]
        # The logout plans expect iss and sid in the front-channel URL and the logout token.
        session = name.replace("_uri", "_session_required")
        return (
            [*option, f"--{session.replace('_', '-')}"] if session in SESSION_REQUIRED else option
        )


CLIENTS = (
    # Core §4: the 3rd Party-Init plan's suite is told to sign in at its initiate_login_uri.
    ClientSpec("client", plan_uri=("initiate_login_uri", "3rdparty")),
    ClientSpec("client2"),
    ClientSpec("client_secret_post", auth_method="client_secret_post"),
    # oidcc-id-token-signature is run once per advertised algorithm: one client per algorithm.
    ClientSpec("client_es256", id_token_alg="ES256"),
    ClientSpec("client_ed25519", id_token_alg="Ed25519"),
    # The logout plans' `client`: kept apart so other plans' sign-outs notify no one.
    ClientSpec("client_frontchannel", plan_uri=("frontchannel_logout_uri", "frontchannel")),
    ClientSpec("client_backchannel", plan_uri=("backchannel_logout_uri", "backchannel")),
)


class SeedFailed(Exception):
    pass


def ciam(*args: str, stdin: str = "") -> Any:
    """Run `ciam-oidc ARGS --json` with this interpreter's package; None when it refuses."""
    result = subprocess.run(  # noqa: S603 -- our own CLI, arguments never from a shell
        [sys.executable, "-m", "ciam_oidc", *args, "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return json.loads(result.stdout) if result.stdout.strip() else {}


def registered_uris(suite: str, alias_prefix: str) -> dict[str, list[str]]:
    """Every plan's callback and post-logout URI: the suite builds them from the alias."""
    urls = [suite_urls(suite, plan.alias(alias_prefix)) for plan in PLANS]
    return {
        "redirect_uris": [u["redirect_uri"] for u in urls],
        # oidcc-rp-initiated-logout-query-added: a registered URI whose query must survive (§3).
        "post_logout_redirect_uris": [u["post_logout_redirect_uri"] for u in urls]
        + [u["post_logout_redirect_uri"] + QUERY_ADDED for u in urls],
    }


def _matches(found: dict[str, Any], spec: ClientSpec, uris: dict[str, list[str]]) -> bool:
    return (
        found.get("token_endpoint_auth_method") == spec.auth_method
        and found.get("id_token_signed_response_alg") == spec.id_token_alg
        and sorted(found.get("redirect_uris", [])) == sorted(uris["redirect_uris"])
        and sorted(found.get("post_logout_redirect_uris", []))
        == sorted(uris["post_logout_redirect_uris"])
        and sorted(found.get("response_types", [])) == sorted(RESPONSE_TYPES)
    )


def ensure_client(
    spec: ClientSpec,
    previous: dict[str, Any] | None,
    uris: dict[str, list[str]],
    plan_uri: list[str],
) -> dict[str, Any]:
    wanted = {spec.plan_uri[0]: plan_uri[1]} if spec.plan_uri else {}
    if previous is not None:
        found = ciam("clients", "show", previous["client_id"])
        if (
            found is not None
            and _matches(found, spec, uris)
            and all(found.get(name) == wanted.get(name) for name in PLAN_URIS)
        ):
            return previous
        if found is not None:
            ciam("clients", "delete", previous["client_id"])
    args = ["clients", "create", "--name", f"Conformance {spec.role}", "--scope", SCOPE]
    args += [
        "--first-party",
        "--auth-method",
        spec.auth_method,
        "--id-token-alg",
        spec.id_token_alg,
    ]
    # Core §6.1: the suite sends unsigned request objects; accepted only where registered.
    args += ["--request-object-signing-alg", "none", *plan_uri]
    for grant in GRANTS:
        args += ["--grant-type", grant]
    for response_type in RESPONSE_TYPES:
        args += ["--response-type", response_type]
    for uri in uris["redirect_uris"]:
        args += ["--redirect-uri", uri]
    for uri in uris["post_logout_redirect_uris"]:
        args += ["--post-logout-redirect-uri", uri]
    created = ciam(*args)
    if created is None:
        raise SeedFailed(f"`ciam-oidc clients create` refused the {spec.role} client")
    return {
        "client_id": created["client_id"],
        "client_secret": created["client_secret"],
        "token_endpoint_auth_method": spec.auth_method,
        "id_token_signed_response_alg": spec.id_token_alg,
        "request_object_signing_alg": "none",
        "response_types": list(RESPONSE_TYPES),
        **wanted,
        **{name: created[name] for name in SESSION_REQUIRED if name in created},
    }


def ensure_user(previous: dict[str, Any] | None) -> dict[str, Any]:
    found = ciam("users", "show", USER_EMAIL)
    if found is not None:
        if previous is None:
            raise SeedFailed(
                f"{USER_EMAIL} exists but its password is unknown here: pass the previous --out"
            )
        return {**previous, "sub": found["sub"]}
    password = secrets.token_urlsafe(18)
    created = ciam(
        *("users", "create", "--email", USER_EMAIL, "--email-verified", "--password-stdin"),
        *("--name", "Conformance Tester", "--given-name", "Conformance"),
        *("--family-name", "Tester"),
        stdin=f"{password}\n",
    )
    if created is None:
        raise SeedFailed("`ciam-oidc users create` refused the test user")
    return {"email": USER_EMAIL, "password": password, "sub": created["sub"]}


def fill_configs(seed: dict[str, Any], out: Path) -> list[Path]:
    """Each plan's configuration with ${...} placeholders replaced by this seed's values."""
    values = {
        "ISSUER": seed["issuer"],
        "DISCOVERY_URL": seed["issuer"].rstrip("/") + "/.well-known/openid-configuration",
        "LOGIN_HINT": seed["user"]["email"],
    }
    for role, client in seed["clients"].items():
        values[f"{role.upper()}_ID"] = client["client_id"]
        values[f"{role.upper()}_SECRET"] = client["client_secret"]
    written = []
    for plan in PLANS:
        template = Template((CONFIGS / f"{plan.key}.json").read_text())
        text = template.substitute(values, ALIAS=plan.alias(seed["alias_prefix"]))
        target = out / f"{plan.key}.json"
        _write_private(target, text)
        written.append(target)
    return written


def _write_private(path: Path, text: str) -> None:
    """Secrets inside: owner-only from the moment the file exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)


def seed(issuer: str, suite: str, alias_prefix: str, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    state_path = out / SEED_FILE
    previous = json.loads(state_path.read_text()) if state_path.exists() else {}
    uris = registered_uris(suite, alias_prefix)
    known = previous.get("clients", {})

    def ensure(spec: ClientSpec) -> dict[str, Any]:
        return ensure_client(spec, known.get(spec.role), uris, spec.uri_option(suite, alias_prefix))

    # Each CLI call pays an interpreter start-up: the independent ones run side by side.
    with ThreadPoolExecutor(max_workers=len(CLIENTS)) as pool:
        clients = dict(zip([spec.role for spec in CLIENTS], pool.map(ensure, CLIENTS), strict=True))
    document = {
        "issuer": issuer.rstrip("/"),
        "suite": suite.rstrip("/"),
        "alias_prefix": alias_prefix,
        "aliases": {plan.key: plan.alias(alias_prefix) for plan in PLANS},
        **uris,
        "clients": clients,
        "user": ensure_user(previous.get("user")),
    }
    _write_private(state_path, json.dumps(document, indent=2) + "\n")
    fill_configs(document, out)
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.seed", description=__doc__)
    parser.add_argument("--issuer", required=True, help="the deployment's CIAM_ISSUER")
    parser.add_argument("--suite", default=DEFAULT_SUITE, help="base URL of the suite")
    parser.add_argument("--alias", default=DEFAULT_ALIAS, help="prefix of the plans' aliases")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write")
    parser.add_argument("--json", action="store_true", help="print the seed document")
    args = parser.parse_args(argv)
    try:
        document = seed(args.issuer, args.suite, args.alias, args.out)
    except SeedFailed as error:
        print(f"conformance.seed: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(f"seeded {len(document['clients'])} clients and {document['user']['email']}")
        print(f"configurations for the suite: {args.out}/<plan>.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
