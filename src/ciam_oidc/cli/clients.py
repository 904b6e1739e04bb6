"""`ciam-oidc clients ...`: register, list, show and delete relying parties, and hand out
initial access tokens for dynamic registration (RFC 7591 §3)."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from ciam_oidc.app import Provider
from ciam_oidc.cli.errors import CommandError, NotFound
from ciam_oidc.cli.output import emit
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.crypto.secrets import digest_secret, new_secret
from ciam_oidc.protocol.client_metadata import (
    REQUEST_OBJECT_ALGS,
    RESPONSE_TYPES,
    SUBJECT_TYPES,
)
from ciam_oidc.protocol.client_registration import check_client_documents
from ciam_oidc.protocol.clients import (
    AUTH_METHODS,
    GRANT_TYPES,
    ID_TOKEN_ALGS,
    Client,
    ClientRequest,
)
from ciam_oidc.protocol.clients import register_client as apply_registration_rules
from ciam_oidc.store.client_registration import SqlInitialAccessTokenStore

# The metadata `clients create` takes as plain --flags: (flag, ClientRequest field).
_URI_FLAGS = (
    ("--sector-identifier-uri", "sector_identifier_uri"),
    ("--backchannel-logout-uri", "backchannel_logout_uri"),
    ("--frontchannel-logout-uri", "frontchannel_logout_uri"),
    ("--initiate-login-uri", "initiate_login_uri"),
    ("--jwks-uri", "jwks_uri"),
)


def describe_client(client: Client) -> dict[str, Any]:
    """What an operator may see of a client; the secret digest stays in the database."""
    return (
        {
            "client_id": client.client_id,
            "client_name": client.name,
            "redirect_uris": client.redirect_uris,
            "post_logout_redirect_uris": client.post_logout_redirect_uris,
            "grant_types": client.grant_types,
            "response_types": client.response_types,
            "scope": client.scope,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "id_token_signed_response_alg": client.id_token_signed_response_alg,
            "first_party": client.first_party,
            "created_at": client.created_at,
        }
        | {
            name: value
            for name in (
                "jwks",
                "first_factors",
                "second_factors",
                "require_mfa",
                "allow_registration",
                "logo_uri",
                "brand_color",
                "upstreams",
                "jwks_uri",
                "sector_identifier_uri",
                "userinfo_signed_response_alg",
                "request_object_signing_alg",
                "initiate_login_uri",
                "frontchannel_logout_uri",
                "backchannel_logout_uri",
            )
            if (value := getattr(client, name)) is not None
        }
        | {
            name: True
            for name in (
                "frontchannel_logout_session_required",
                "backchannel_logout_session_required",
            )
            if getattr(client, name)
        }
        | {"subject_type": client.subject_type}
        | ({"request_uris": client.request_uris} if client.request_uris else {})
    )


async def register_client(
    provider: Provider, request: ClientRequest, secret: str | None = None
) -> tuple[Client, str | None]:
    client, secret = apply_registration_rules(
        request, utc_now(), secret, provider.client_secrets, provider.settings.signing_algs
    )
    await check_client_documents(client, provider.documents)
    await provider.clients.add_client(client)
    return client, secret


def add_parser(commands: Any) -> None:
    clients = commands.add_parser("clients", help="manage OAuth clients")
    actions = clients.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="register a client; prints its secret once")
    create.add_argument("--name", required=True)
    create.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
    create.add_argument(
        "--post-logout-redirect-uri", action="append", default=[], dest="post_logout_uris"
    )
    create.add_argument(
        "--grant-type", action="append", choices=GRANT_TYPES, dest="grant_types", default=None
    )
    create.add_argument("--scope", default="openid profile email")
    create.add_argument("--auth-method", choices=AUTH_METHODS, default=None)
    create.add_argument("--public", action="store_true", help="no secret; PKCE required")
    create.add_argument(
        "--first-party", action="store_true", help="the operator's own app: no consent page"
    )
    create.add_argument("--id-token-alg", choices=ID_TOKEN_ALGS, default="RS256")
    create.add_argument(
        "--jwks-file", type=Path, help="private_key_jwt: a JSON file holding the public JWK Set"
    )
    create.add_argument(
        "--first-factors", type=_ids, help="comma-separated methods that may start a sign-in"
    )
    create.add_argument(
        "--second-factors", type=_ids, help="comma-separated methods that count as second"
    )
    create.add_argument(
        "--require-mfa",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="two factors for every sign-in (default: CIAM_REQUIRE_MFA)",
    )
    create.add_argument(
        "--registration",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let its users create an account (default: CIAM_REGISTRATION_ENABLED)",
    )
    create.add_argument("--logo-uri", help="https URL of the logo on its sign-in pages")
    create.add_argument("--brand-color", help="#rrggbb accent colour of its sign-in pages")
    create.add_argument(
        "--upstreams",
        type=_ids,
        help="comma-separated upstream identity providers its sign-in page offers "
        '("": none; default: every enabled one)',
    )
    _add_metadata_flags(create)
    create.add_argument("--json", action="store_true")
    create.set_defaults(run=_create)
    initial = actions.add_parser(
        "initial-token", help="an initial access token for dynamic registration; printed once"
    )
    initial.add_argument("--label", default="", help="who it is for, for the operator")
    initial.add_argument("--ttl", type=int, default=None, help="seconds it is valid; no expiry")
    initial.add_argument("--json", action="store_true")
    initial.set_defaults(run=_initial_token)
    listing = actions.add_parser("list", help="list clients")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
    for name, run in (("show", _show), ("delete", _delete)):
        action = actions.add_parser(name, help=f"{name} one client")
        action.add_argument("client_id")
        action.add_argument("--json", action="store_true")
        action.set_defaults(run=run)


async def _create(provider: Provider, args: argparse.Namespace) -> None:
    if args.public and args.auth_method not in (None, "none"):
        raise CommandError("--public clients authenticate with method none")
    request = ClientRequest(
        name=args.name,
        redirect_uris=tuple(args.redirect_uris),
        post_logout_redirect_uris=tuple(args.post_logout_uris),
        grant_types=tuple(args.grant_types or ["authorization_code"]),
        scope=args.scope,
        token_endpoint_auth_method="none"
        if args.public
        else args.auth_method or "client_secret_basic",
        id_token_signed_response_alg=args.id_token_alg,
        first_party=args.first_party,
        jwks=_read_jwks(args.jwks_file) if args.jwks_file else None,
        first_factors=args.first_factors,
        second_factors=args.second_factors,
        require_mfa=args.require_mfa,
        allow_registration=args.registration,
        logo_uri=args.logo_uri,
        brand_color=args.brand_color,
        upstreams=args.upstreams,
        response_types=tuple(args.response_types) if args.response_types else None,
        subject_type=args.subject_type,
        request_uris=tuple(args.request_uris),
        userinfo_signed_response_alg=args.userinfo_signed_response_alg,
        request_object_signing_alg=args.request_object_signing_alg,
        **{field: getattr(args, field) for _flag, field in _URI_FLAGS},
        frontchannel_logout_session_required=args.frontchannel_logout_session_required,
        backchannel_logout_session_required=args.backchannel_logout_session_required,
    )
    if args.id_token_alg not in provider.settings.signing_algs:
        raise CommandError(f"--id-token-alg {args.id_token_alg} is not in CIAM_SIGNING_ALGS")
    client, secret = await register_client(provider, request)
    shown = describe_client(client)
    if secret:
        shown["client_secret"] = secret
    emit(shown, args.json)


def _add_metadata_flags(create: argparse.ArgumentParser) -> None:
    """OpenID Connect metadata (Dynamic Client Registration 1.0 §2) an operator may set."""
    create.add_argument(
        "--response-type",
        action="append",
        choices=RESPONSE_TYPES,
        dest="response_types",
        default=None,
        help="default: what the grant types imply",
    )
    create.add_argument("--subject-type", choices=SUBJECT_TYPES, default="public")
    create.add_argument("--request-uri", action="append", default=[], dest="request_uris")
    create.add_argument("--userinfo-signed-response-alg", choices=ID_TOKEN_ALGS)
    create.add_argument("--request-object-signing-alg", choices=REQUEST_OBJECT_ALGS)
    for flag, _field in _URI_FLAGS:
        create.add_argument(flag)
    for channel in ("frontchannel", "backchannel"):
        create.add_argument(
            f"--{channel}-logout-session-required",
            action="store_true",
            help=f"{channel} logout names the session (iss and sid)",
        )


async def _initial_token(provider: Provider, args: argparse.Namespace) -> None:
    if args.ttl is not None and args.ttl <= 0:
        raise CommandError("--ttl must be a positive number of seconds")
    token, now = new_secret(), utc_now()
    expires_at = now + timedelta(seconds=args.ttl) if args.ttl is not None else None
    store = SqlInitialAccessTokenStore(provider.database)
    await store.add_initial_token(digest_secret(token), args.label[:100], now, expires_at)
    emit({"initial_access_token": token, "label": args.label, "expires_at": expires_at}, args.json)


def _ids(value: str) -> tuple[str, ...]:
    """A comma-separated list; the empty string is the empty list."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _read_jwks(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as error:
        raise CommandError(f"cannot read --jwks-file {path}: {error.strerror}") from None
    except ValueError:
        raise CommandError(f"--jwks-file {path} is not JSON") from None


async def _list(provider: Provider, args: argparse.Namespace) -> None:
    emit([describe_client(client) for client in await provider.clients.list_clients()], args.json)


async def _show(provider: Provider, args: argparse.Namespace) -> None:
    client = await provider.clients.get_client(args.client_id)
    if client is None:
        raise NotFound(f"no client {args.client_id!r}")
    emit(describe_client(client), args.json)


async def _delete(provider: Provider, args: argparse.Namespace) -> None:
    if not await provider.clients.delete_client(args.client_id):
        raise NotFound(f"no client {args.client_id!r}")
    emit({"deleted": args.client_id}, args.json)
