"""Throwaway PostgreSQL servers for tests that must run against the real database.

Each server lives in its own temporary directory on its own port, so parallel test
runs never share state, and nothing outlives the ``with`` block. The module is
stdlib-only on purpose: it has to work before any project dependency is importable.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import TypedDict

ENV_URL = "CIAM_TEST_POSTGRES_URL"
"""Point tests at an existing server (``postgresql+asyncpg://user:pw@host:port``) instead."""

_DEBIAN_ROOT = pathlib.Path("/usr/lib/postgresql")
_PREFERRED_MAJOR = (15,)
_REQUIRED_BINARIES = ("initdb", "postgres", "pg_isready")
_SERVER_USER = "postgres"
_SUPERUSER = "postgres"
_HOST = "127.0.0.1"
_LOG_NAME = "server.log"
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
_POLL_INTERVAL_S = 0.05
_PORT_ATTEMPTS = 3
_PORT_TAKEN = "Address already in use"
_LOG_TAIL_CHARS = 4000

# Durability is worthless for a database deleted at the end of the test; these
# settings trade it for speed. max_connections leaves room for pooled parallel tests.
_FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def postgres_bin_dir() -> pathlib.Path | None:
    """Locate server binaries, preferring PostgreSQL 15 because production runs it.

    Debian keeps each major version under /usr/lib/postgresql/<major>/bin, off PATH;
    other systems are reached through ``pg_config``. Returns None when no directory
    holds a complete server, so callers can skip rather than fail.
    """
    installed = _debian_bin_dirs()
    if _PREFERRED_MAJOR in installed:
        return installed[_PREFERRED_MAJOR]
    if installed:
        return installed[max(installed)]
    return _pg_config_bin_dir()


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yield a superuser base URL (no database name) to a server that exists only here.

    The URL has no database so each test can create and name its own. When
    CIAM_TEST_POSTGRES_URL is set it is yielded unchanged and nothing is started,
    for machines without local server binaries (CI services, managed databases).
    """
    if override := os.environ.get(ENV_URL):
        yield override
        return
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            f"no PostgreSQL server binaries found under {_DEBIAN_ROOT} or via pg_config; "
            f"install PostgreSQL or set {ENV_URL}"
        )
    owner = _server_owner()
    with _scratch_dir(owner) as root:
        _initdb(bin_dir, root, owner)
        with _running_server(bin_dir, root, owner) as port:
            yield f"postgresql+asyncpg://{_SUPERUSER}@{_HOST}:{port}"


def _debian_bin_dirs() -> dict[tuple[int, ...], pathlib.Path]:
    """Map each installed major version (e.g. ``(15,)`` or ``(9, 6)``) to its bin dir."""
    found: dict[tuple[int, ...], pathlib.Path] = {}
    for bin_dir in _DEBIAN_ROOT.glob("*/bin"):
        version = bin_dir.parent.name
        if all(part.isdigit() for part in version.split(".")) and _is_server_bin(bin_dir):
            found[tuple(int(part) for part in version.split("."))] = bin_dir
    return found


def _pg_config_bin_dir() -> pathlib.Path | None:
    """Ask pg_config, which may belong to a client-only install, so verify the answer."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    result = subprocess.run(
        [pg_config, "--bindir"], capture_output=True, text=True, check=False, timeout=10
    )
    bin_dir = pathlib.Path(result.stdout.strip())
    if result.returncode == 0 and _is_server_bin(bin_dir):
        return bin_dir
    return None


def _is_server_bin(bin_dir: pathlib.Path) -> bool:
    """Client packages ship psql without a server, so check for what we actually run."""
    return all(os.access(bin_dir / name, os.X_OK) for name in _REQUIRED_BINARIES)


def _server_owner() -> pwd.struct_passwd | None:
    """Return the account to run the server as, or None to run as ourselves.

    initdb and postgres refuse to run as root, so root (containers, CI) hands them
    to the ``postgres`` system account; anyone else runs them directly.
    """
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(_SERVER_USER)
    except KeyError:
        raise RuntimeError(
            f"running as root needs a {_SERVER_USER!r} system user to own the test server"
        ) from None


@contextlib.contextmanager
def _scratch_dir(owner: pwd.struct_passwd | None) -> Iterator[pathlib.Path]:
    """Make a private directory for data, socket and log, and always delete it.

    It sits directly in /tmp rather than $TMPDIR: root's TMPDIR may be unreachable
    for the server account, and a short path keeps the unix socket under the
    kernel's 107-byte sun_path limit.
    """
    root = pathlib.Path(tempfile.mkdtemp(prefix="ciam-pg-", dir="/tmp"))
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        yield root
    finally:
        shutil.rmtree(root)


def _initdb(bin_dir: pathlib.Path, root: pathlib.Path, owner: pwd.struct_passwd | None) -> None:
    """Create the cluster; locale C makes collation identical on every developer machine."""
    argv = [
        str(bin_dir / "initdb"),
        "--pgdata", str(root / "data"),
        "--auth", "trust",
        "--username", _SUPERUSER,
        "--encoding", "UTF8",
        "--locale", "C",
        "--no-sync",
    ]  # fmt: skip
    result = subprocess.run(
        argv, capture_output=True, text=True, check=False, timeout=120, **_as_owner(owner, root)
    )
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}{result.stderr}")


@contextlib.contextmanager
def _running_server(
    bin_dir: pathlib.Path, root: pathlib.Path, owner: pwd.struct_passwd | None
) -> Iterator[int]:
    """Start postgres on a free port, yield the port, and stop the server on exit.

    The port is free when chosen but could be taken before postgres binds it (a
    concurrent test server, or any outgoing connection's ephemeral port), so a bind
    failure retries on a fresh port instead of failing the test run.
    """
    for _ in range(_PORT_ATTEMPTS):
        port = _free_port()
        server = _spawn_postgres(bin_dir, root, port, owner)
        try:
            if _wait_until_ready(bin_dir, server, port, root / _LOG_NAME):
                yield port
                return
        finally:
            _stop(server)
    raise RuntimeError(
        f"postgres could not bind a free port in {_PORT_ATTEMPTS} attempts:\n"
        f"{_log_tail(root / _LOG_NAME)}"
    )


def _free_port() -> int:
    """Let the kernel pick an unused port, since fixed ports collide across parallel runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _spawn_postgres(
    bin_dir: pathlib.Path, root: pathlib.Path, port: int, owner: pwd.struct_passwd | None
) -> subprocess.Popen[bytes]:
    """Run the postmaster itself (not pg_ctl) so we hold its PID and can signal it.

    The socket goes in our scratch dir because the system default
    (/var/run/postgresql) may not exist or may belong to another cluster.
    """
    argv = [
        str(bin_dir / "postgres"),
        "-D", str(root / "data"),
        "-h", _HOST,
        "-p", str(port),
        "-k", str(root),
    ]  # fmt: skip
    for name, value in _FAST_SETTINGS.items():
        argv += ["-c", f"{name}={value}"]
    # Appending keeps earlier attempts' output for the error message on failure.
    with (root / _LOG_NAME).open("ab") as log:
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, **_as_owner(owner, root)
        )


def _wait_until_ready(
    bin_dir: pathlib.Path, server: subprocess.Popen[bytes], port: int, log: pathlib.Path
) -> bool:
    """Block until connections are accepted; False means the port was taken.

    Polling is bounded so a broken server fails the run with its log instead of
    hanging it.
    """
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = _log_tail(log)
            if _PORT_TAKEN in tail:
                return False
            raise RuntimeError(f"postgres exited with status {server.returncode}:\n{tail}")
        if _accepting_connections(bin_dir, port):
            return True
        time.sleep(_POLL_INTERVAL_S)
    raise RuntimeError(
        f"postgres did not accept connections on {_HOST}:{port} within "
        f"{_START_TIMEOUT_S:.0f}s:\n{_log_tail(log)}"
    )


def _accepting_connections(bin_dir: pathlib.Path, port: int) -> bool:
    """Use pg_isready because an open TCP port does not mean startup has finished."""
    argv = [
        str(bin_dir / "pg_isready"),
        "--quiet",
        "--host", _HOST,
        "--port", str(port),
        "--username", _SUPERUSER,
        "--dbname", "postgres",
        "--timeout", "1",
    ]  # fmt: skip
    result = subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=10
    )
    return result.returncode == 0


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Shut down with SIGQUIT, the postmaster's immediate mode.

    No checkpoint is worth writing for data about to be deleted. The postmaster
    reaps its backends before exiting, so once it is gone the directory is free
    to remove; SIGKILL is the bounded fallback if it hangs.
    """
    if server.poll() is None:
        server.send_signal(signal.SIGQUIT)
    try:
        server.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _log_tail(log: pathlib.Path) -> str:
    """Return the end of the server log, where the reason for a failure is."""
    try:
        return log.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
    except FileNotFoundError:
        return "(no server log was written)"


class _ChildContext(TypedDict):
    """Keyword arguments for subprocess that place a server binary as its owner."""

    user: int | None
    group: int | None
    extra_groups: list[int] | None
    cwd: pathlib.Path


def _as_owner(owner: pwd.struct_passwd | None, root: pathlib.Path) -> _ChildContext:
    """Drop to the server account in the child rather than wrapping in runuser.

    runuser forks and waits, leaving a root process between us and the
    postmaster; signals would hit runuser, not the server. Supplementary groups
    are cleared so the server does not inherit root's. The working directory is
    the scratch dir because the caller's (e.g. /root) may be unreadable to the
    server account, which initdb reports as an error.
    """
    if owner is None:
        return _ChildContext(user=None, group=None, extra_groups=None, cwd=root)
    return _ChildContext(user=owner.pw_uid, group=owner.pw_gid, extra_groups=[], cwd=root)
