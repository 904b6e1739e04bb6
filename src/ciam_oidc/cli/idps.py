"""`ciam-oidc idps ...`: configure the upstream identity providers customers may sign in with.

A secret is never printed back: `show` and `list` say whether one is set. Secrets given with
`--client-secret` are visible to every local user in `ps` while the command runs, so the help
points to `--client-secret-file` (`-` reads standard input).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from ciam_oidc.app import Provider
from ciam_oidc.authn.upstreams import Upstream
from ciam_oidc.cli.errors import CommandError, NotFound
from ciam_oidc.cli.output import emit
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.federation.presets import PRESETS, configure
from ciam_oidc.store.upstreams import SqlLinkedIdentityStore, SqlUpstreamStore


def describe_upstream(upstream: Upstream) -> dict[str, Any]:
    """What an operator may see of an upstream: whether it has a secret, never the secret."""
    return {
        "id": upstream.id,
        "name": upstream.name,
        "preset": upstream.preset,
        "kind": upstream.kind.value,
        "enabled": upstream.enabled,
        "client_id": upstream.client_id,
        "has_client_secret": upstream.client_secret is not None,
        "has_private_key": upstream.private_key is not None,
        "issuer": upstream.issuer,
        "authorization_endpoint": upstream.authorization_endpoint,
        "token_endpoint": upstream.token_endpoint,
        "userinfo_endpoint": upstream.userinfo_endpoint,
        "jwks_uri": upstream.jwks_uri,
        "scopes": upstream.scopes,
        "claim_map": dict(upstream.claim_map),
        "options": dict(upstream.options),
        "icon_uri": upstream.icon_uri,
        "trust_email": upstream.trust_email,
        "trust_authn": upstream.trust_authn,
        "created_at": upstream.created_at,
    }


def _upstreams(provider: Provider) -> SqlUpstreamStore:
    return SqlUpstreamStore(provider.database, provider.upstream_secrets)


def add_parser(commands: Any) -> None:
    idps = commands.add_parser("idps", help="manage upstream identity providers (social sign-in)")
    actions = idps.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add_create_parser(actions)
    listing = actions.add_parser("list", help="list upstream identity providers")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
    for name, run, help_text in (
        ("show", _show, "show one upstream and how many identities are linked through it"),
        ("enable", _enable, "offer it on the sign-in page again"),
        ("disable", _disable, "stop offering it on the sign-in page"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("id")
        action.add_argument("--json", action="store_true")
        action.set_defaults(run=run)
    delete = actions.add_parser("delete", help="delete an upstream with no linked identities")
    delete.add_argument("id")
    delete.add_argument(
        "--force", action="store_true", help="delete the identities linked through it too"
    )
    delete.add_argument("--json", action="store_true")
    delete.set_defaults(run=_delete)


_EXPLICIT = "OpenID Connect: instead of discovery; OAuth 2.0: required unless the preset has it"


def _add_create_parser(actions: Any) -> None:
    create = actions.add_parser("create", help="configure an upstream identity provider")
    create.add_argument("id", help="lowercase letters, digits and '-'; part of its callback URL")
    create.add_argument("--preset", required=True, choices=sorted(PRESETS))
    create.add_argument("--client-id", required=True, help="our client id at the upstream")
    secret = create.add_mutually_exclusive_group()
    secret.add_argument(
        "--client-secret",
        metavar="SECRET",
        help="prefer --client-secret-file: arguments are visible in `ps`",
    )
    secret.add_argument(
        "--client-secret-file",
        type=Path,
        metavar="FILE",
        help="a file holding the secret ('-': standard input)",
    )
    create.add_argument(
        "--private-key-file",
        type=Path,
        metavar="FILE",
        help="PEM key the client secret is signed with (Apple's .p8 file)",
    )
    create.add_argument(
        "--issuer", metavar="URL", help="the upstream's issuer (default: the preset's)"
    )
    create.add_argument("--name", help='shown as "Continue with NAME" (default: the preset\'s)')
    create.add_argument("--scopes", type=str.split, help='space-separated, e.g. "openid email"')
    for endpoint in ("authorization", "token", "userinfo"):
        create.add_argument(f"--{endpoint}-endpoint", metavar="URL", help=_EXPLICIT)
    create.add_argument("--jwks-uri", metavar="URL", help="instead of discovery")
    create.add_argument(
        "--claim",
        type=_pair,
        action="append",
        default=[],
        dest="claims",
        metavar="LOCAL=UPSTREAM",
        help="map an upstream claim to a local one (repeatable)",
    )
    create.add_argument(
        "--option",
        type=_pair,
        action="append",
        default=[],
        dest="options",
        metavar="KEY=VALUE",
        help="preset setting, e.g. team_id=… key_id=… (Apple), tenant=… (Microsoft)",
    )
    create.add_argument(
        "--icon-uri", metavar="URL", help="https image for its button (default: the preset's)"
    )
    create.add_argument(
        "--trust-email",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="take its email as verified without email_verified (default: the preset's)",
    )
    create.add_argument(
        "--trust-authn", action="store_true", help="let its amr/acr count for MFA and acr"
    )
    create.add_argument("--disabled", action="store_true", help="configure it, offer it later")
    create.add_argument("--json", action="store_true")
    create.set_defaults(run=_create)


def _pair(value: str) -> tuple[str, str]:
    key, equals, item = value.partition("=")
    if not equals or not key.strip() or not item.strip():
        raise argparse.ArgumentTypeError(f"{value!r} is not NAME=VALUE")
    return key.strip(), item.strip()


def _read(path: Path, option: str) -> str:
    try:
        content = sys.stdin.read() if str(path) == "-" else path.read_text()
    except OSError as error:
        raise CommandError(f"cannot read {option} {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{option} {path} is not text") from None
    if not content.strip():
        raise CommandError(f"{option} {path} is empty")
    return content


async def _create(provider: Provider, args: argparse.Namespace) -> None:
    client_secret = args.client_secret
    if args.client_secret_file is not None:
        client_secret = _read(args.client_secret_file, "--client-secret-file").strip()
    private_key = (
        _read(args.private_key_file, "--private-key-file") if args.private_key_file else None
    )
    upstream = configure(
        args.preset,
        id=args.id,
        client_id=args.client_id,
        client_secret=client_secret,
        private_key=private_key,
        issuer=args.issuer,
        name=args.name,
        scopes=args.scopes,
        authorization_endpoint=args.authorization_endpoint,
        token_endpoint=args.token_endpoint,
        userinfo_endpoint=args.userinfo_endpoint,
        jwks_uri=args.jwks_uri,
        claim_map=dict(args.claims),
        options=dict(args.options),
        icon_uri=args.icon_uri,
        trust_email=args.trust_email,
        trust_authn=args.trust_authn,
        enabled=not args.disabled,
        now=utc_now(),
    )
    await _upstreams(provider).add_upstream(upstream)
    emit(describe_upstream(upstream), args.json)


async def _list(provider: Provider, args: argparse.Namespace) -> None:
    emit(
        [describe_upstream(upstream) for upstream in await _upstreams(provider).list_upstreams()],
        args.json,
    )


async def _existing(store: SqlUpstreamStore, upstream_id: str) -> Upstream:
    upstream = await store.get_upstream(upstream_id)
    if upstream is None:
        raise NotFound(f"no upstream {upstream_id!r}")
    return upstream


async def _show(provider: Provider, args: argparse.Namespace) -> None:
    upstream = await _existing(_upstreams(provider), args.id)
    linked = await SqlLinkedIdentityStore(provider.database).count_links_of_upstream(args.id)
    emit(describe_upstream(upstream) | {"linked_identities": linked}, args.json)


async def _set_enabled(provider: Provider, args: argparse.Namespace, enabled: bool) -> None:
    store = _upstreams(provider)
    upstream = dataclasses.replace(await _existing(store, args.id), enabled=enabled)
    await store.update_upstream(upstream)
    emit(describe_upstream(upstream), args.json)


async def _enable(provider: Provider, args: argparse.Namespace) -> None:
    await _set_enabled(provider, args, enabled=True)


async def _disable(provider: Provider, args: argparse.Namespace) -> None:
    await _set_enabled(provider, args, enabled=False)


async def _delete(provider: Provider, args: argparse.Namespace) -> None:
    """Refused while accounts sign in through it, unless forced: a deleted upstream leaves
    their links pointing nowhere, and an account with no other method would be locked out."""
    store, links = _upstreams(provider), SqlLinkedIdentityStore(provider.database)
    await _existing(store, args.id)
    linked = await links.count_links_of_upstream(args.id)
    if linked and not args.force:
        raise CommandError(
            f"{linked} identities are linked through upstream {args.id!r}; "
            "disable it instead, or delete them with it using --force"
        )
    # Links first: should the second step fail, the upstream is still there to delete again.
    unlinked = await links.delete_links_of_upstream(args.id) if args.force else 0
    await store.delete_upstream(args.id)
    emit({"deleted": args.id, "unlinked_identities": unlinked}, args.json)
