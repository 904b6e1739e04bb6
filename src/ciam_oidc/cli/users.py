"""`ciam-oidc users ...`: create, list and show customer accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from ciam_oidc.app import Provider
from ciam_oidc.cli.errors import NotFound
from ciam_oidc.cli.output import emit
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.passwords import hash_password
from ciam_oidc.protocol.users import InvalidUser, User, UserRequest, new_user, normalize_email


def describe_user(user: User) -> dict[str, Any]:
    """What an operator may see of an account; never the password hash."""
    return {
        "sub": user.sub,
        "email": user.email,
        "email_verified": user.email_verified,
        **user.claims,
        "has_password": user.password_hash is not None,
        "disabled": user.disabled,
        "created_at": user.created_at,
    }


async def create_user(provider: Provider, request: UserRequest, password: str | None) -> User:
    hashed = await hash_password(password) if password else None
    user = new_user(request, hashed, utc_now())
    await provider.users.add_user(user)
    return user


def add_parser(commands: Any) -> None:
    users = commands.add_parser("users", help="manage customer accounts")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument(
        "--password", help="prefer --password-stdin: arguments are visible to other processes"
    )
    create.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    create.add_argument("--name")
    create.add_argument("--given-name")
    create.add_argument("--family-name")
    create.add_argument("--email-verified", action="store_true")
    create.add_argument("--json", action="store_true")
    create.set_defaults(run=_create)
    listing = actions.add_parser("list", help="list accounts")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
    show = actions.add_parser("show", help="show one account by sub or email")
    show.add_argument("user")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=_show)


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if args.password is None and sys.stdin.isatty():
        return getpass.getpass("Password (empty for none): ") or None
    password: str | None = args.password
    return password


async def _create(provider: Provider, args: argparse.Namespace) -> None:
    claims = {
        claim: value
        for claim, value in (
            ("name", args.name),
            ("given_name", args.given_name),
            ("family_name", args.family_name),
        )
        if value
    }
    request = UserRequest(email=args.email, email_verified=args.email_verified, claims=claims)
    user = await create_user(provider, request, _password(args))
    emit(describe_user(user), args.json)


async def _list(provider: Provider, args: argparse.Namespace) -> None:
    emit([describe_user(user) for user in await provider.users.list_users(args.limit)], args.json)


async def _show(provider: Provider, args: argparse.Namespace) -> None:
    user = await provider.users.get_user(args.user)
    if user is None and "@" in args.user:
        try:
            user = await provider.users.find_user_by_email(normalize_email(args.user))
        except InvalidUser:
            user = None
    if user is None:
        raise NotFound(f"no user {args.user!r}")
    emit(describe_user(user), args.json)
