"""`ciam-oidc audit list`: the security events of every account, newest first."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from ciam_oidc.app import Provider
from ciam_oidc.authn.audit import AuditEvent, EventType
from ciam_oidc.cli.errors import CommandError
from ciam_oidc.cli.output import emit


def describe_event(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at,
        "type": event.type.value,
        "sub": event.sub,
        "ip": event.ip,
        **dict(event.details),
    }


def add_parser(commands: Any) -> None:
    audit = commands.add_parser("audit", help="read the audit trail of security events")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="events, newest first")
    listing.add_argument("--sub", help="only this account's events")
    listing.add_argument(
        "--type",
        action="append",
        choices=[event.value for event in EventType],
        dest="types",
        default=[],
        metavar="TYPE",
        help="only events of this type (repeatable): " + ", ".join(e.value for e in EventType),
    )
    listing.add_argument("--since", type=_aware, help="ISO 8601 time with a zone, e.g. …Z")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)


def _aware(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no time zone (add Z or +00:00)")
    return moment


async def _list(provider: Provider, args: argparse.Namespace) -> None:
    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    events = await provider.audit.store.events(
        sub=args.sub,
        types=[EventType(value) for value in args.types],
        since=args.since,
        limit=args.limit,
    )
    emit([describe_event(event) for event in events], args.json)
