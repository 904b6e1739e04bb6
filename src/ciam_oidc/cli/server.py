"""`ciam-oidc serve` and `ciam-oidc migrate`: run the provider and bring its schema up to date."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

import uvicorn

from ciam_oidc.app import Provider, create_app
from ciam_oidc.cli.errors import CommandError
from ciam_oidc.cli.output import emit
from ciam_oidc.settings import Settings
from ciam_oidc.store.migrations import upgrade


def add_parsers(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the provider")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.set_defaults(run=None, serve=True)
    migrate = commands.add_parser("migrate", help="apply pending schema migrations")
    migrate.add_argument("--json", action="store_true")
    migrate.set_defaults(run=_migrate, needs_current_schema=False)


async def _migrate(provider: Provider, args: argparse.Namespace) -> None:
    before, after = await upgrade(provider.database)
    emit({"database": provider.database.display_url, "from": before, "to": after}, args.json)


def serve(settings: Settings, args: argparse.Namespace, check: Any) -> None:
    """Check the database once here so a bad start fails in one line, then hand over."""
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    asyncio.run(check())
    options: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": "info"}
    if args.workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # Worker processes rebuild the settings from the environment, so the generated
    # development secret (if any) must be pinned before they start.
    os.environ.setdefault("CIAM_SECRET_KEY", settings.secret_bytes().decode())
    uvicorn.run("ciam_oidc.app:create_app_from_env", factory=True, workers=args.workers, **options)
