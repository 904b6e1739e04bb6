"""`ciam-oidc keys ...`: inspect signing keys and rotate them without downtime."""

from __future__ import annotations

import argparse
from typing import Any, get_args

from ciam_oidc.app import Provider
from ciam_oidc.cli.errors import CommandError
from ciam_oidc.cli.output import emit
from ciam_oidc.crypto.signing_keys import StoredKey
from ciam_oidc.settings import SigningAlg


def describe_key(key: StoredKey, state: str) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg,
        "state": state,
        "created_at": key.created_at,
        "activates_at": key.activates_at,
        "retires_at": key.retires_at,
    }


def add_parser(commands: Any) -> None:
    keys = commands.add_parser("keys", help="manage signing keys")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list keys and their lifecycle state")
    listing.add_argument("--all", action="store_true", help="include retired keys")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
    rotate = actions.add_parser(
        "rotate",
        help="publish new keys now; they sign after CIAM_KEY_CACHE_SECONDS + "
        "CIAM_JWKS_MAX_AGE_SECONDS and the old ones stay published until their tokens expire",
    )
    rotate.add_argument(
        "--alg", action="append", choices=get_args(SigningAlg), help="default: every algorithm"
    )
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(run=_rotate)


async def _list(provider: Provider, args: argparse.Namespace) -> None:
    states = await provider.keyring.states()
    shown = [describe_key(key, state) for key, state in states if args.all or state != "retired"]
    emit(shown, args.json)


async def _rotate(provider: Provider, args: argparse.Namespace) -> None:
    unknown = set(args.alg or ()) - set(provider.settings.signing_algs)
    if unknown:
        raise CommandError(f"--alg {', '.join(sorted(unknown))} is not in CIAM_SIGNING_ALGS")
    created = {key.kid for key in await provider.keyring.rotate(args.alg)}
    states = await provider.keyring.states()
    emit([describe_key(key, state) for key, state in states if key.kid in created], args.json)
