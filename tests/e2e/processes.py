"""Run `ciam-oidc` the way an operator does: as real processes, against a real database.

A `Workspace` is what one deployment of the command sees: a working directory, a database and
its `CIAM_*` settings. CLI commands run to completion with `Workspace.run`; `serving` starts
`ciam-oidc serve` and stops it again. Every wait is bounded, and a failure message carries what
the process printed, so a broken start explains itself instead of timing out silently.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import pytest

from ciam_oidc.app import Provider, build_provider
from ciam_oidc.settings import Settings
from tests.conftest import TEST_SECRET, fresh_database_url

CLI_TIMEOUT_S = 60.0
SERVER_START_TIMEOUT_S = 20.0
SERVER_STOP_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.05
HOST = "127.0.0.1"
DISCOVERY_PATH = "/.well-known/openid-configuration"
_SETTINGS_PREFIX = "CIAM_"

T = TypeVar("T")
CliResult = subprocess.CompletedProcess[str]


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on, distinct from each other (all are held until all are chosen)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def cli_command(*args: str) -> list[str]:
    """`ciam-oidc ARGS` with the interpreter running the tests, so its installed package."""
    return [sys.executable, "-m", "ciam_oidc", *args]


def describe(result: CliResult) -> str:
    """Everything a command said, for assertion messages."""
    output = f"stdout: {result.stdout}\nstderr: {result.stderr}"
    return f"{result.args} exited {result.returncode}\n{output}"


def assert_refused(
    result: CliResult, status: int, starts_with: str, *, one_line: bool = True
) -> None:
    """Exit `status`, nothing on stdout, no traceback, and a last stderr line that explains."""
    lines = result.stderr.splitlines()
    assert result.returncode == status, describe(result)
    assert result.stdout == "", describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    assert lines, describe(result)
    assert len(lines) == 1 or not one_line, describe(result)
    assert lines[-1].startswith(starts_with), describe(result)


def parse_json(result: CliResult) -> Any:
    """The document a successful `--json` command printed."""
    assert result.returncode == 0, describe(result)
    return json.loads(result.stdout)


@dataclass(frozen=True)
class Workspace:
    """One deployment's view: working directory, database URL, secret key and other settings."""

    directory: Path
    database_url: str
    secret_key: str | None = TEST_SECRET
    settings: Mapping[str, str] = field(default_factory=dict)
    """Further `CIAM_*` variables; they override the three above."""

    @property
    def data_dir(self) -> Path:
        return self.directory / "var"

    def with_settings(self, **values: str) -> Workspace:
        return replace(self, settings={**self.settings, **values})

    def without_secret_key(self) -> Workspace:
        return replace(self, secret_key=None)

    def env(self) -> dict[str, str]:
        """The caller's environment minus its own `CIAM_*` variables, plus this workspace's."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(_SETTINGS_PREFIX)
        }
        env["CIAM_DATABASE_URL"] = self.database_url
        env["CIAM_DATA_DIR"] = str(self.data_dir)
        if self.secret_key is not None:
            env["CIAM_SECRET_KEY"] = self.secret_key
        env.update(self.settings)
        return env

    def run(self, *args: str, stdin: str = "", timeout: float = CLI_TIMEOUT_S) -> CliResult:
        """Run one CLI command to completion; stdin is a pipe, never the test's terminal."""
        return subprocess.run(
            cli_command(*args),
            env=self.env(),
            cwd=self.directory,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run_json(self, *args: str, stdin: str = "") -> Any:
        """Run a command that must succeed with `--json` and return what it printed."""
        return parse_json(self.run(*args, "--json", stdin=stdin))

    def provider_settings(self) -> Settings:
        """The settings a process of this workspace runs with, for opening its stores here."""
        assert self.secret_key is not None, "open the stores only with a known secret key"
        return Settings(
            database_url=self.database_url, secret_key=self.secret_key, data_dir=self.data_dir
        )


def fresh_workspace(request: pytest.FixtureRequest, backend: str, directory: Path) -> Workspace:
    """A workspace in `directory` on a freshly migrated database of its own."""
    return Workspace(directory, fresh_database_url(request, backend, directory))


@dataclass(frozen=True)
class Invocation:
    workspace: Workspace
    args: Sequence[str]
    stdin: str = ""

    def run(self) -> CliResult:
        return self.workspace.run(*self.args, stdin=self.stdin)


def run_concurrently(*invocations: Invocation) -> list[CliResult]:
    """Run independent commands at once (each pays the interpreter start-up); results in order."""
    with ThreadPoolExecutor(max_workers=len(invocations)) as pool:
        return list(pool.map(Invocation.run, invocations))


@asynccontextmanager
async def opened_provider(workspace: Workspace) -> AsyncIterator[Provider]:
    """The workspace's stores and key ring, opened in the test process as the app opens them."""
    provider = build_provider(workspace.provider_settings())
    try:
        yield provider
    finally:
        await provider.close()


def kids(jwks: Mapping[str, Any], alg: str | None = None) -> set[str]:
    """The key ids a JWK Set publishes, for one algorithm or all."""
    return {key["kid"] for key in jwks["keys"] if alg is None or key.get("alg") == alg}


def eventually(fetch: Callable[[], T], done: Callable[[T], bool], timeout_s: float) -> T:
    """Fetch until `done` holds or the time is up; return the last value for the caller's assert."""
    deadline = time.monotonic() + timeout_s
    value = fetch()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_S)
        value = fetch()
    return value


class ServerProcess:
    """One `ciam-oidc serve` process; its output goes to files beside the workspace."""

    def __init__(self, workspace: Workspace, port: int) -> None:
        self.port = port
        self.base_url = f"http://{HOST}:{port}"
        self._stderr_path = workspace.directory / f"serve-{port}.stderr.log"
        with (
            (workspace.directory / f"serve-{port}.stdout.log").open("w") as stdout,
            self._stderr_path.open("w") as stderr,
        ):
            self._process = subprocess.Popen(
                cli_command("serve", "--host", HOST, "--port", str(port)),
                env=workspace.env(),
                cwd=workspace.directory,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def stderr(self) -> str:
        return self._stderr_path.read_text()

    def wait_until_healthy(self, timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"serve exited {self._process.returncode}:\n{self.stderr}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(POLL_INTERVAL_S)
        pytest.fail(f"serve did not answer /healthz within {timeout_s} s:\n{self.stderr}")

    def stop(self) -> None:
        """SIGTERM for a graceful shutdown; SIGKILL if that takes too long."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(SERVER_STOP_TIMEOUT_S)

    def get(self, path_or_url: str) -> httpx.Response:
        """GET a path on this server, or an absolute URL as it is."""
        url = f"{self.base_url}{path_or_url}" if path_or_url.startswith("/") else path_or_url
        return httpx.get(url, timeout=HTTP_TIMEOUT_S)

    def get_json(self, path_or_url: str) -> Any:
        response = self.get(path_or_url)
        assert response.status_code == 200, f"{response.url}: {response.status_code}"
        return response.json()

    def discovery(self) -> dict[str, Any]:
        document: dict[str, Any] = self.get_json(DISCOVERY_PATH)
        return document

    def jwks(self) -> dict[str, Any]:
        """The key set at the `jwks_uri` this server's discovery document names."""
        key_set: dict[str, Any] = self.get_json(self.local_url(self.discovery()["jwks_uri"]))
        return key_set

    def local_url(self, published_url: str) -> str:
        """A URL the server published, sent to this server rather than to the issuer's host
        (the default issuer names port 8000, where no test server listens)."""
        return f"{self.base_url}{httpx.URL(published_url).raw_path.decode()}"


@contextmanager
def serving_together(*nodes: tuple[Workspace, int]) -> Iterator[list[ServerProcess]]:
    """Start one server per (workspace, port) at once; yield them once all answer /healthz."""
    with ExitStack() as stack:
        servers = [stack.enter_context(ServerProcess(workspace, port)) for workspace, port in nodes]
        for server in servers:
            server.wait_until_healthy()
        yield servers


@contextmanager
def serving(workspace: Workspace, port: int | None = None) -> Iterator[ServerProcess]:
    with serving_together((workspace, port or free_port())) as (server,):
        yield server
