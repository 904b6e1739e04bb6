"""The `ciam-oidc` command: run, migrate and administer the provider.

Every failure an operator can cause ends in one line on stderr and a non-zero exit status:
2 for bad usage or configuration, 1 for everything else (unreachable database, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from ciam_oidc import __version__
from ciam_oidc.app import Provider, SchemaNotCurrent, build_provider
from ciam_oidc.cli import audit, clients, demo, idps, keys, server, users
from ciam_oidc.cli.errors import CommandError
from ciam_oidc.crypto.encryption import DecryptionError
from ciam_oidc.federation.presets import InvalidUpstream
from ciam_oidc.protocol.errors import OAuthError
from ciam_oidc.protocol.ports import AlreadyExists
from ciam_oidc.protocol.users import InvalidUser
from ciam_oidc.settings import ConfigError, Settings, load_settings
from ciam_oidc.store.database import DatabaseUnavailable

_USAGE_ERRORS = (ConfigError, OAuthError, InvalidUser, InvalidUpstream)
_RUNTIME_ERRORS = (
    DatabaseUnavailable,
    SchemaNotCurrent,
    AlreadyExists,
    CommandError,
    DecryptionError,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ciam-oidc",
        description="OAuth 2.0 / OpenID Connect provider for customer identity.",
        epilog="Configuration comes from CIAM_* environment variables; see the README.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    server.add_parsers(commands)
    clients.add_parser(commands)
    users.add_parser(commands)
    keys.add_parser(commands)
    demo.add_parser(commands)
    audit.add_parser(commands)
    idps.add_parser(commands)
    return parser


async def _run_command(settings: Settings, args: argparse.Namespace) -> None:
    provider = build_provider(settings)
    try:
        if getattr(args, "needs_current_schema", True):
            await provider.ensure_ready()
        else:
            await provider.database.ping()
        await args.run(provider, args)
    finally:
        await provider.close()


async def _check_ready(settings: Settings) -> None:
    provider: Provider = build_provider(settings)
    try:
        await provider.ensure_ready()
    finally:
        await provider.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)  # `migrate` prints its own result
        if getattr(args, "serve", False):
            server.serve(settings, args, lambda: _check_ready(settings))
        else:
            asyncio.run(_run_command(settings, args))
    except _USAGE_ERRORS as error:
        return _fail(error, 2)
    except _RUNTIME_ERRORS as error:
        return _fail(error, 1)
    except KeyboardInterrupt:
        return 130
    return 0


def _fail(error: Exception, status: int) -> int:
    prefix = "error"
    if isinstance(error, ConfigError):
        prefix = "configuration error"
    elif isinstance(error, OAuthError):
        prefix = f"error: {error.error}"
    print(f"ciam-oidc: {prefix}: {error}", file=sys.stderr)
    return status
