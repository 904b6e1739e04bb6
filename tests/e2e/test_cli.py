"""The `ciam-oidc` command as an operator runs it: real processes on a real SQLite database.

Starting the interpreter and importing the provider costs over a second per command, so each
story below runs its commands once in a module fixture (independent ones at the same time)
and the tests state, one behaviour each, what the operator sees.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shlex
import sqlite3
import stat
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ciam_oidc import __version__
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.passwords import verify_password
from ciam_oidc.crypto.signing_keys import StoredKey
from ciam_oidc.store.migrations import head_revision
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

DEFAULT_ISSUER = "http://localhost:8000"
UNREACHABLE_DATABASE_URL = "postgresql+asyncpg://u:secretpw@127.0.0.1:1/db"
# The commands as the README documents them.
CONFIDENTIAL_CLIENT = shlex.split(
    'clients create --name "My App" --redirect-uri http://localhost:9999/cb '
    "--post-logout-redirect-uri http://localhost:9999/bye "
    "--grant-type authorization_code --grant-type refresh_token "
    '--scope "openid profile email offline_access" --auth-method client_secret_basic --json'
)
PUBLIC_CLIENT = shlex.split(
    "clients create --name SPA --public --redirect-uri http://localhost:9999/cb --json"
)
MACHINE_CLIENT = shlex.split("clients create --name Backend --grant-type client_credentials --json")
ALICE_PASSWORD = "correct horse battery staple"
BOB_PASSWORD = "bob's password, read from stdin"
MIN_SECRET_CHARS = 43  # 256 bits, base64url-encoded


def module_workspace(request: pytest.FixtureRequest, factory: pytest.TempPathFactory) -> Workspace:
    """A fresh database for the tests of one story, named after the fixture building it."""
    return fresh_workspace(request, "sqlite", factory.mktemp(request.fixturename or "cli"))


async def _ensure_ready(workspace: Workspace) -> None:
    async with opened_provider(workspace) as provider:
        await provider.ensure_ready()


def in_use(workspace: Workspace) -> Workspace:
    """The workspace once its signing keys exist, so no command logs their creation and
    concurrent commands do not each bootstrap a set."""
    asyncio.run(_ensure_ready(workspace))
    return workspace


@pytest.fixture
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Workspace:
    return fresh_workspace(request, "sqlite", tmp_path)


# -- migrate ------------------------------------------------------------------------------------


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def test_migrate_creates_the_schema_in_an_empty_sqlite_file_then_does_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    workspace = Workspace(tmp_path, f"sqlite+aiosqlite:///{path}")

    first = workspace.run_json("migrate")
    second = workspace.run_json("migrate")

    assert (first["from"], first["to"]) == (None, head_revision())
    assert {"alembic_version", "clients", "users", "signing_keys"} <= _tables(path)
    assert (second["from"], second["to"]) == (head_revision(), head_revision())


# -- clients ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientsStory:
    created: dict[str, Any]
    machine: dict[str, Any]
    shown: CliResult
    public: dict[str, Any]
    deleted: dict[str, Any]
    shown_after_delete: CliResult


@pytest.fixture(scope="module")
def clients_story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> ClientsStory:
    workspace = in_use(module_workspace(request, tmp_path_factory))
    created, machine = (
        parse_json(result)
        for result in run_concurrently(
            Invocation(workspace, CONFIDENTIAL_CLIENT),
            Invocation(workspace, MACHINE_CLIENT),
        )
    )
    shown, public, deleted = run_concurrently(
        Invocation(workspace, ("clients", "show", created["client_id"], "--json")),
        Invocation(workspace, PUBLIC_CLIENT),
        Invocation(workspace, ("clients", "delete", machine["client_id"], "--json")),
    )
    return ClientsStory(
        created=created,
        machine=machine,
        shown=shown,
        public=parse_json(public),
        deleted=parse_json(deleted),
        shown_after_delete=workspace.run("clients", "show", machine["client_id"]),
    )


def test_clients_create_prints_a_new_secret_with_the_registered_metadata(
    clients_story: ClientsStory,
) -> None:
    created = clients_story.created
    assert created["client_id"]
    assert len(created["client_secret"]) >= MIN_SECRET_CHARS
    registered = {
        "client_name": "My App",
        "redirect_uris": ["http://localhost:9999/cb"],
        "post_logout_redirect_uris": ["http://localhost:9999/bye"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid profile email offline_access",
        "token_endpoint_auth_method": "client_secret_basic",
    }
    assert {key: created.get(key) for key in registered} == registered


def test_clients_show_returns_the_metadata_but_never_the_secret(
    clients_story: ClientsStory,
) -> None:
    created, shown = clients_story.created, clients_story.shown
    assert created["client_secret"] not in shown.stdout
    assert parse_json(shown) == {
        key: value for key, value in created.items() if key != "client_secret"
    }


def test_public_client_gets_no_secret_and_authenticates_with_none(
    clients_story: ClientsStory,
) -> None:
    public = clients_story.public
    assert "client_secret" not in public
    assert public["token_endpoint_auth_method"] == "none"


def test_client_credentials_grant_registers_a_machine_client_with_a_secret(
    clients_story: ClientsStory,
) -> None:
    machine = clients_story.machine
    assert machine["grant_types"] == ["client_credentials"]
    assert machine["response_types"] == []
    assert machine["redirect_uris"] == []
    assert machine["token_endpoint_auth_method"] == "client_secret_basic"
    assert len(machine["client_secret"]) >= MIN_SECRET_CHARS


def test_deleted_client_is_no_longer_found(clients_story: ClientsStory) -> None:
    client_id = clients_story.machine["client_id"]
    assert clients_story.deleted == {"deleted": client_id}
    assert_refused(clients_story.shown_after_delete, 1, "ciam-oidc: error: no client")


# -- users --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsersStory:
    workspace: Workspace
    created: CliResult
    duplicate: CliResult
    from_stdin: dict[str, Any]
    shown: dict[str, Any]


@pytest.fixture(scope="module")
def users_story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> UsersStory:
    workspace = in_use(module_workspace(request, tmp_path_factory))
    create = ("users", "create", "--email-verified", "--json")
    created = workspace.run(
        *create, "--email", "Alice@Example.com", "--password", ALICE_PASSWORD, "--name", "Alice"
    )
    duplicate, from_stdin, shown = run_concurrently(
        Invocation(workspace, (*create, "--email", "ALICE@example.COM", "--password", "other")),
        Invocation(
            workspace,
            (*create, "--email", "bob@example.com", "--password-stdin"),
            stdin=f"{BOB_PASSWORD}\n",
        ),
        Invocation(workspace, ("users", "show", "alice@example.com", "--json")),
    )
    return UsersStory(workspace, created, duplicate, parse_json(from_stdin), parse_json(shown))


async def _password_matches(workspace: Workspace, email: str, password: str) -> bool:
    async with opened_provider(workspace) as provider:
        user = await provider.users.find_user_by_email(email)
        assert user is not None, email
        assert user.password_hash is not None, email
        return (await verify_password(password, user.password_hash))[0]


def test_users_create_stores_the_email_lowercased_and_prints_no_password_hash(
    users_story: UsersStory,
) -> None:
    output = users_story.created.stdout
    user = parse_json(users_story.created)
    assert user["email"] == "alice@example.com"
    assert (user["name"], user["email_verified"], user["has_password"]) == ("Alice", True, True)
    assert not [key for key in user if "hash" in key]
    assert "$argon2" not in output
    assert ALICE_PASSWORD not in output


def test_users_create_refuses_an_email_already_taken_in_another_case(
    users_story: UsersStory,
) -> None:
    assert_refused(users_story.duplicate, 1, "ciam-oidc: error:")
    assert "'alice@example.com' already exists" in users_story.duplicate.stderr


def test_users_create_reads_the_password_from_stdin(users_story: UsersStory) -> None:
    assert users_story.from_stdin["has_password"] is True
    assert asyncio.run(_password_matches(users_story.workspace, "bob@example.com", BOB_PASSWORD))


def test_users_show_finds_a_user_by_email(users_story: UsersStory) -> None:
    assert users_story.shown == parse_json(users_story.created)


# -- demo, and the secret key generated for the embedded database --------------------------------


@dataclass(frozen=True)
class DemoStory:
    workspace: Workspace
    secret_file_existed_before: bool
    first: CliResult
    secret_after_first: str
    second: CliResult
    clients: list[dict[str, Any]]

    @property
    def secret_file(self) -> Path:
        return self.workspace.data_dir / "secret_key"


@pytest.fixture(scope="module")
def demo_story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> DemoStory:
    """`demo` twice on SQLite without CIAM_SECRET_KEY, as on a developer's first checkout."""
    workspace = module_workspace(request, tmp_path_factory).without_secret_key()
    secret_file = workspace.data_dir / "secret_key"
    existed_before = secret_file.exists()
    first = workspace.run("demo", "--json")
    secret_after_first = secret_file.read_text() if secret_file.exists() else ""
    second = workspace.run("demo", "--json")
    clients = workspace.run_json("clients", "list")
    return DemoStory(workspace, existed_before, first, secret_after_first, second, clients)


def test_demo_prints_the_same_credentials_on_every_run(demo_story: DemoStory) -> None:
    first, second = parse_json(demo_story.first), parse_json(demo_story.second)
    assert (first["client_id"], first["email"]) == ("demo-app", "demo@example.com")
    assert first["client_secret"] == second["client_secret"]
    assert first["password"] == second["password"]


def test_demo_registers_exactly_one_demo_client(demo_story: DemoStory) -> None:
    ids = Counter(client["client_id"] for client in demo_story.clients)
    assert ids["demo-app"] == 1


def test_demo_authorization_url_starts_at_the_issuer_and_uses_s256_pkce(
    demo_story: DemoStory,
) -> None:
    demo = parse_json(demo_story.second)
    url = demo["authorization_url"]
    query = parse_qs(urlsplit(url).query)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(demo["code_verifier"].encode()).digest())
    assert demo["issuer"] == DEFAULT_ISSUER
    assert url.startswith(f"{DEFAULT_ISSUER}/")
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [challenge.rstrip(b"=").decode()]
    assert query["client_id"] == ["demo-app"]
    assert query["redirect_uri"] == [demo["redirect_uri"]]


def test_embedded_database_without_secret_key_generates_a_private_key_file_and_reuses_it(
    demo_story: DemoStory,
) -> None:
    first, second = demo_story.first, demo_story.second
    assert not demo_story.secret_file_existed_before
    assert stat.S_IMODE(demo_story.secret_file.stat().st_mode) == 0o600
    assert demo_story.secret_after_first
    assert demo_story.secret_file.read_text() == demo_story.secret_after_first
    assert "CIAM_SECRET_KEY is not set" in first.stderr, describe(first)
    assert "CIAM_SECRET_KEY is not set" not in second.stderr, describe(second)
    assert parse_json(first)["client_secret"] == parse_json(second)["client_secret"]
    assert "Traceback" not in first.stderr + second.stderr


# -- keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeysStory:
    listed: list[dict[str, Any]]
    rotated: list[dict[str, Any]]
    stored: list[StoredKey]


async def _stored_keys(workspace: Workspace) -> list[StoredKey]:
    async with opened_provider(workspace) as provider:
        return list(await provider.keyring.keys())


@pytest.fixture(scope="module")
def keys_story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> KeysStory:
    workspace = module_workspace(request, tmp_path_factory).with_settings(
        CIAM_SIGNING_ALGS="RS256,ES256"
    )
    listed = workspace.run_json("keys", "list")
    rotated = workspace.run_json("keys", "rotate", "--alg", "ES256")
    return KeysStory(listed, rotated, asyncio.run(_stored_keys(workspace)))


def test_keys_list_shows_one_signing_key_per_configured_algorithm(keys_story: KeysStory) -> None:
    states = Counter((key["alg"], key["state"]) for key in keys_story.listed)
    assert states == {("RS256", "signing"): 1, ("ES256", "signing"): 1}


def test_keys_rotate_adds_a_pending_key_and_keeps_the_current_one_published(
    keys_story: KeysStory,
) -> None:
    (new,) = keys_story.rotated
    (old,) = [key for key in keys_story.listed if key["alg"] == "ES256"]
    stored = {key.kid: key for key in keys_story.stored}
    now = utc_now()
    assert (new["alg"], new["state"]) == ("ES256", "pending")
    assert new["kid"] != old["kid"]
    assert stored[new["kid"]].activates_at > now
    assert stored[old["kid"]].is_published(now)


# -- refusals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A command an operator gets wrong, and the one line that must tell them so."""

    args: tuple[str, ...]
    status: int
    starts_with: str
    settings: Mapping[str, str] = field(default_factory=dict)
    with_secret_key: bool = True
    one_line: bool = True  # argparse prints its usage first

    def workspace(self, base: Workspace) -> Workspace:
        workspace = base.with_settings(**self.settings)
        return workspace if self.with_secret_key else workspace.without_secret_key()


KEYS_LIST = ("keys", "list")
CONFIG_ERROR = "ciam-oidc: configuration error:"
REFUSALS = {
    "unknown-option": Refusal(
        ("keys", "list", "--bogus"), 2, "ciam-oidc: error: unrecognized arguments", one_line=False
    ),
    "issuer-not-https": Refusal(
        KEYS_LIST, 2, f"{CONFIG_ERROR} CIAM_ISSUER:", {"CIAM_ISSUER": "ftp://example.com"}
    ),
    "issuer-with-query": Refusal(
        KEYS_LIST, 2, f"{CONFIG_ERROR} CIAM_ISSUER:", {"CIAM_ISSUER": "https://example.com/?q=1"}
    ),
    "issuer-with-empty-query": Refusal(
        KEYS_LIST, 2, f"{CONFIG_ERROR} CIAM_ISSUER:", {"CIAM_ISSUER": "https://example.com?"}
    ),
    "unreachable-database": Refusal(
        KEYS_LIST,
        1,
        "ciam-oidc: error: cannot reach",
        {"CIAM_DATABASE_URL": UNREACHABLE_DATABASE_URL},
    ),
    "server-database-without-secret-key": Refusal(
        KEYS_LIST,
        2,
        f"{CONFIG_ERROR} CIAM_SECRET_KEY:",
        {"CIAM_DATABASE_URL": UNREACHABLE_DATABASE_URL},
        with_secret_key=False,
    ),
    "public-client-with-client-credentials": Refusal(
        ("clients", "create", "--name", "Bad", "--public", "--grant-type", "client_credentials"),
        2,
        "ciam-oidc: error: invalid_client_metadata:",
    ),
    "redirect-uri-with-fragment": Refusal(
        ("clients", "create", "--name", "Bad", "--redirect-uri", "http://localhost:9999/cb#x"),
        2,
        "ciam-oidc: error: invalid_redirect_uri:",
    ),
}


@pytest.fixture(scope="module")
def refusals(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CliResult]:
    base = in_use(module_workspace(request, tmp_path_factory))
    results = run_concurrently(
        *(Invocation(refusal.workspace(base), refusal.args) for refusal in REFUSALS.values())
    )
    return dict(zip(REFUSALS, results, strict=True))


@pytest.mark.parametrize("case", REFUSALS)
def test_bad_input_exits_with_a_clear_line_and_no_traceback(
    case: str, refusals: dict[str, CliResult]
) -> None:
    refusal, result = REFUSALS[case], refusals[case]
    assert_refused(result, refusal.status, refusal.starts_with, one_line=refusal.one_line)
    assert "secretpw" not in result.stderr


def test_version_option_prints_the_version(workspace: Workspace) -> None:
    result = workspace.run("--version")
    assert result.returncode == 0, describe(result)
    assert result.stdout.strip() == f"ciam-oidc {__version__}"
