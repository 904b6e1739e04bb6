"""`ciam-oidc idps ...` as an operator runs it: real processes on a real SQLite database.

Each command costs an interpreter start, so the story runs them once in a module fixture
(independent ones at the same time) and the tests state, one behaviour each, what the operator
sees. The stores are then opened in the test process, as the server would open them, to check
what was really stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shlex
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ciam_oidc.authn.upstreams import LinkedIdentity, Upstream
from ciam_oidc.protocol.users import UserRequest, new_user
from ciam_oidc.store.upstreams import SqlLinkedIdentityStore, SqlUpstreamStore
from tests.e2e.processes import (
    CliResult,
    Invocation,
    Workspace,
    assert_refused,
    describe,
    fresh_workspace,
    opened_provider,
    parse_json,
    run_concurrently,
)
from tests.e2e.test_cli import in_use

GOOGLE_SECRET = "GOCSPX-google-secret-from-a-file"
GITHUB_SECRET = "github-secret-on-the-command-line"
CORP_SECRET = "corp-secret-from-stdin"
GITHUB = "http://127.0.0.1:9/login/oauth"
SECRETS = (GOOGLE_SECRET, GITHUB_SECRET, CORP_SECRET)
GOOGLE_ARGS = "--preset google --client-id c --client-secret s"


def apple_key(directory: Path) -> Path:
    """A Sign in with Apple key as the developer portal hands it out: PKCS#8 PEM, P-256."""
    key = ec.generate_private_key(ec.SECP256R1())
    path = directory / "AuthKey_KEY1234567.p8"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def creations(directory: Path) -> dict[str, tuple[tuple[str, ...], str]]:
    """One `idps create` per kind of preset, and the standard input each reads."""
    secret_file = directory / "google-secret"
    secret_file.write_text(GOOGLE_SECRET + "\n")
    commands = {
        "google": f"google --preset google --client-id g.apps.example "
        f"--client-secret-file {secret_file}",
        "github": f"github --preset github --client-id Iv1.0123 --client-secret {GITHUB_SECRET} "
        f"--authorization-endpoint {GITHUB}/authorize --token-endpoint {GITHUB}/access_token "
        "--userinfo-endpoint http://127.0.0.1:9/user",
        "apple": "apple --preset apple --client-id com.example.web "
        f"--private-key-file {apple_key(directory)} "
        "--option team_id=TEAM123456 --option key_id=KEY1234567",
        "corp": "corp --preset oidc --issuer https://login.corp.example --client-id ciam "
        '--client-secret-file - --name "Corp SSO" --scopes "openid email" '
        "--claim name=display_name --trust-authn --disabled",
    }
    return {
        name: (
            ("idps", "create", *shlex.split(command)),
            CORP_SECRET + "\n" if name == "corp" else "",
        )
        for name, command in commands.items()
    }


@dataclass(frozen=True)
class IdpsStory:
    workspace: Workspace
    created: dict[str, CliResult]
    listed: CliResult
    shown_text: CliResult
    disabled: dict[str, Any]
    enabled: dict[str, Any]
    duplicate: CliResult
    wrong_key: CliResult
    stored: dict[str, Upstream]
    raw_rows: bytes


async def _stored_upstreams(workspace: Workspace) -> dict[str, Upstream]:
    async with opened_provider(workspace) as provider:
        store = SqlUpstreamStore(provider.database, provider.upstream_secrets)
        return {upstream.id: upstream for upstream in await store.list_upstreams()}


def _raw_rows(workspace: Workspace) -> bytes:
    """Every upstream column as a database dump shows it."""
    path = workspace.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT * FROM upstreams").fetchall()
    return b"".join(
        value if isinstance(value, bytes) else str(value).encode() for row in rows for value in row
    )


@pytest.fixture(scope="module")
def idps_story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> IdpsStory:
    directory = tmp_path_factory.mktemp("idps")
    workspace = in_use(fresh_workspace(request, "sqlite", directory))
    commands = creations(directory)
    google, github, apple, corp = run_concurrently(
        *(
            Invocation(workspace, (*args, "--json"), stdin=stdin)
            for args, stdin in commands.values()
        )
    )
    other_secret = workspace.with_settings(CIAM_SECRET_KEY="another-master-secret-0123456789abc")
    listed, shown_text, disabled, enabled, duplicate, wrong_key = run_concurrently(
        Invocation(workspace, ("idps", "list", "--json")),
        Invocation(workspace, ("idps", "show", "corp")),
        Invocation(workspace, ("idps", "disable", "github", "--json")),
        Invocation(workspace, ("idps", "enable", "corp", "--json")),
        Invocation(workspace, commands["google"][0]),
        Invocation(other_secret, ("idps", "show", "google")),
    )
    return IdpsStory(
        workspace=workspace,
        created={"google": google, "github": github, "apple": apple, "corp": corp},
        listed=listed,
        shown_text=shown_text,
        disabled=parse_json(disabled),
        enabled=parse_json(enabled),
        duplicate=duplicate,
        wrong_key=wrong_key,
        stored=asyncio.run(_stored_upstreams(workspace)),
        raw_rows=_raw_rows(workspace),
    )


def test_each_preset_kind_is_created_and_shown_with_its_settings(idps_story: IdpsStory) -> None:
    created = {name: parse_json(result) for name, result in idps_story.created.items()}
    assert {name: shown["preset"] for name, shown in created.items()} == {
        "google": "google",
        "github": "github",
        "apple": "apple",
        "corp": "oidc",
    }
    assert created["github"]["kind"] == "oauth2"
    assert created["github"]["token_endpoint"] == f"{GITHUB}/access_token"
    assert created["apple"]["options"] == {"team_id": "TEAM123456", "key_id": "KEY1234567"}
    corp = created["corp"]
    assert (corp["name"], corp["kind"], corp["issuer"]) == (
        "Corp SSO",
        "oidc",
        "https://login.corp.example",
    )
    assert corp["scopes"] == ["openid", "email"]
    assert corp["claim_map"] == {"name": "display_name"}
    assert (corp["enabled"], corp["trust_authn"]) == (False, True)


def test_the_secrets_are_stored_sealed_and_open_with_the_servers_key(
    idps_story: IdpsStory,
) -> None:
    stored = idps_story.stored
    assert stored["google"].client_secret == GOOGLE_SECRET  # the file's newline is not part of it
    assert stored["github"].client_secret == GITHUB_SECRET
    assert stored["corp"].client_secret == CORP_SECRET
    assert stored["apple"].client_secret is None
    assert (stored["apple"].private_key or "").startswith("-----BEGIN PRIVATE KEY-----")
    for secret in SECRETS:
        assert secret.encode() not in idps_story.raw_rows
    assert b"PRIVATE KEY" not in idps_story.raw_rows


def test_no_command_prints_a_secret_back_but_says_whether_one_is_set(
    idps_story: IdpsStory,
) -> None:
    outputs = [*idps_story.created.values(), idps_story.listed, idps_story.shown_text]
    for result in outputs:
        for secret in (*SECRETS, "PRIVATE KEY"):
            assert secret not in result.stdout + result.stderr, describe(result)
    listed = {upstream["id"]: upstream for upstream in parse_json(idps_story.listed)}
    assert {name: shown["has_client_secret"] for name, shown in listed.items()} == {
        "google": True,
        "github": True,
        "apple": False,
        "corp": True,
    }
    assert listed["apple"]["has_private_key"] is True
    assert re.search(r"^has_client_secret +True$", idps_story.shown_text.stdout, re.MULTILINE)


def test_an_upstream_is_disabled_and_enabled_again(idps_story: IdpsStory) -> None:
    assert idps_story.disabled["enabled"] is False
    assert idps_story.enabled["enabled"] is True
    assert idps_story.stored["github"].enabled is False
    assert idps_story.stored["corp"].enabled is True
    # Nothing else changes, secrets included.
    assert idps_story.stored["github"].client_secret == GITHUB_SECRET


def test_a_taken_id_is_refused_and_the_first_upstream_kept(idps_story: IdpsStory) -> None:
    assert_refused(idps_story.duplicate, 1, "ciam-oidc: error: upstream 'google' already exists")
    assert idps_story.stored["google"].client_id == "g.apps.example"


def test_another_master_secret_is_told_it_cannot_open_the_secrets(idps_story: IdpsStory) -> None:
    assert_refused(
        idps_story.wrong_key,
        1,
        "ciam-oidc: error: the client_secret of upstream 'google' does not open: "
        "it was sealed under another master secret",
    )


# -- refusals ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Workspace:
    return in_use(fresh_workspace(request, "sqlite", tmp_path_factory.mktemp("idps-refusals")))


def bad_creations(directory: Path) -> dict[str, tuple[str, str]]:
    """Mistakes an operator makes (arguments after `idps create`), and the words the one-line
    refusal must contain."""
    apple = f"x --preset apple --client-id c --option key_id=K --private-key-file {directory}"
    generic = "x --preset oidc --client-id c --client-secret s"
    return {
        "http-issuer-on-a-public-host": (
            f"{generic} --name Corp --issuer http://idp.example.com",
            "issuer: must use https",
        ),
        "apple-without-team-id": (f"{apple}/apple.p8", "team_id"),
        "apple-with-another-kind-of-key": (f"{apple}/rsa.pem --option team_id=T", "EC key"),
        "generic-without-name": (f"{generic} --issuer https://idp.example.com", "name"),
        "without-client-secret": ("x --preset google --client-id c", "secret"),
        "unknown-option": (
            "x --preset google --client-id c --client-secret s --option tenant=common",
            "tenant",
        ),
        "bad-id": ("Bad_Id --preset google --client-id c", "'Bad_Id'"),
    }


def rsa_key(directory: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "rsa.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(scope="module")
def refusals(
    workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[CliResult, str]]:
    directory = tmp_path_factory.mktemp("keys")
    apple_key(directory).rename(directory / "apple.p8")
    rsa_key(directory)
    mistakes = bad_creations(directory)
    results = run_concurrently(
        *(
            Invocation(workspace, ("idps", "create", *shlex.split(args)))
            for args, _ in mistakes.values()
        )
    )
    return {
        case: (result, names)
        for (case, (_, names)), result in zip(mistakes.items(), results, strict=True)
    }


@pytest.mark.parametrize(
    "case",
    [
        "http-issuer-on-a-public-host",
        "apple-without-team-id",
        "apple-with-another-kind-of-key",
        "generic-without-name",
        "without-client-secret",
        "unknown-option",
        "bad-id",
    ],
)
def test_bad_settings_are_refused_in_one_line_naming_the_problem(
    refusals: dict[str, tuple[CliResult, str]], case: str
) -> None:
    refused, names = refusals[case]
    assert_refused(refused, 2, "ciam-oidc: error:")
    assert names in refused.stderr, describe(refused)


def test_nothing_is_stored_by_a_refused_command(
    refusals: dict[str, tuple[CliResult, str]], workspace: Workspace
) -> None:
    assert workspace.run_json("idps", "list") == []


def test_an_unreadable_secret_file_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    refused = workspace.run(
        "idps", "create", "x", "--preset", "google", "--client-id", "c",
        "--client-secret-file", str(missing),
    )  # fmt: skip
    assert_refused(refused, 1, f"ciam-oidc: error: cannot read --client-secret-file {missing}")


def test_an_unknown_upstream_is_not_found(workspace: Workspace) -> None:
    actions = ("show", "enable", "disable", "delete")
    results = run_concurrently(
        *(Invocation(workspace, ("idps", action, "nobody")) for action in actions)
    )
    for result in results:
        assert_refused(result, 1, "ciam-oidc: error: no upstream 'nobody'")


# -- deleting -----------------------------------------------------------------------------------


async def _link_someone_through(workspace: Workspace, upstream_id: str) -> None:
    now = datetime.now(UTC)
    user = new_user(UserRequest(email="ada@example.com", email_verified=True), None, now)
    link = LinkedIdentity("https://accounts.google.com", "1076", user.sub, upstream_id, None, now)
    async with opened_provider(workspace) as provider:
        await SqlLinkedIdentityStore(provider.database).add_account(user, link)


async def _what_is_left(workspace: Workspace, upstream_id: str) -> tuple[Upstream | None, int]:
    async with opened_provider(workspace) as provider:
        upstream = await SqlUpstreamStore(
            provider.database, provider.upstream_secrets
        ).get_upstream(upstream_id)
        links = SqlLinkedIdentityStore(provider.database)
        return upstream, await links.count_links_of_upstream(upstream_id)


def test_an_upstream_with_linked_identities_is_deleted_only_when_forced(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    workspace = in_use(fresh_workspace(request, "sqlite", tmp_path))
    created = run_concurrently(
        *(
            Invocation(workspace, ("idps", "create", upstream_id, *shlex.split(GOOGLE_ARGS)))
            for upstream_id in ("google", "spare")
        )
    )
    assert all(result.returncode == 0 for result in created), [describe(r) for r in created]
    asyncio.run(_link_someone_through(workspace, "google"))

    shown, refused, spare = run_concurrently(
        Invocation(workspace, ("idps", "show", "google", "--json")),
        Invocation(workspace, ("idps", "delete", "google")),
        Invocation(workspace, ("idps", "delete", "spare", "--json")),
    )
    assert parse_json(shown)["linked_identities"] == 1
    assert_refused(refused, 1, "ciam-oidc: error: 1 identities are linked through upstream")
    assert "--force" in refused.stderr
    assert asyncio.run(_what_is_left(workspace, "google"))[1] == 1
    assert parse_json(spare) == {"deleted": "spare", "unlinked_identities": 0}

    forced = workspace.run_json("idps", "delete", "google", "--force")
    assert forced == {"deleted": "google", "unlinked_identities": 1}
    assert asyncio.run(_what_is_left(workspace, "google")) == (None, 0)


# -- a client's allow-list --------------------------------------------------------------------


def test_clients_create_records_which_upstreams_its_sign_in_page_offers(
    workspace: Workspace,
) -> None:
    client = ("clients", "create", "--name", "Shop", "--redirect-uri", "https://shop.example/cb")
    some, none, every = run_concurrently(
        Invocation(workspace, (*client, "--upstreams", "google, github,google", "--json")),
        Invocation(workspace, (*client, "--upstreams", "", "--json")),
        Invocation(workspace, (*client, "--json")),
    )
    assert parse_json(some)["upstreams"] == ["google", "github"]
    assert parse_json(none)["upstreams"] == []
    assert "upstreams" not in parse_json(every)
    shown, refused = run_concurrently(
        Invocation(workspace, ("clients", "show", parse_json(some)["client_id"], "--json")),
        Invocation(workspace, (*client, "--upstreams", "Google!")),
    )
    assert parse_json(shown)["upstreams"] == ["google", "github"]
    assert_refused(refused, 2, "ciam-oidc: error: invalid_client_metadata: not an upstream id")


def test_every_setting_of_an_upstream_is_shown(idps_story: IdpsStory) -> None:
    """A field added to Upstream later must be decided on: shown, or deliberately hidden."""
    shown = set(parse_json(idps_story.created["google"]))
    hidden = {"client_secret", "private_key"}
    fields = {field.name for field in dataclasses.fields(Upstream)}
    assert fields - hidden <= shown
