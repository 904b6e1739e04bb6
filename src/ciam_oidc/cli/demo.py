"""`ciam-oidc demo`: seed a demo client and customer, idempotently, and print how to use them.

The demo secret and password are derived from the master secret, so running the command again
prints the same working credentials without ever storing them in the clear.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
from typing import Any
from urllib.parse import urlencode

from ciam_oidc.app import Provider
from ciam_oidc.cli.clients import register_client
from ciam_oidc.cli.errors import CommandError
from ciam_oidc.cli.output import emit
from ciam_oidc.cli.users import create_user
from ciam_oidc.crypto.passwords import verify_password
from ciam_oidc.crypto.secrets import derive_secret, new_secret, secret_matches
from ciam_oidc.protocol.clients import ClientRequest
from ciam_oidc.protocol.users import UserRequest

DEMO_CLIENT_ID = "demo-app"
DEMO_REDIRECT_URI = "http://localhost:9999/callback"
DEMO_EMAIL = "demo@example.com"


def add_parser(commands: Any) -> None:
    demo = commands.add_parser("demo", help="seed a demo client and user and print them")
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(run=_demo)


async def _demo(provider: Provider, args: argparse.Namespace) -> None:
    master = provider.settings.secret_bytes()
    secret = derive_secret(master, "demo-client-secret")
    password = derive_secret(master, "demo-user-password")[:20]
    await _ensure_client(provider, secret)
    await _ensure_user(provider, password)
    verifier = new_secret()
    emit(
        {
            "issuer": provider.settings.issuer,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": secret,
            "redirect_uri": DEMO_REDIRECT_URI,
            "email": DEMO_EMAIL,
            "password": password,
            "authorization_url": _authorization_url(provider.settings.issuer, verifier),
            "code_verifier": verifier,
            # Where the customer adds passkeys and an authenticator app.
            "account_url": f"{provider.settings.issuer}/account",
        }
        | (
            # Sign-in links are mailed here rather than sent while no SMTP server is set up.
            {"dev_mailbox_url": f"{provider.settings.issuer}/dev/mailbox"}
            if provider.settings.uses_dev_mailbox
            else {}
        ),
        args.json,
    )


async def _ensure_client(provider: Provider, secret: str) -> None:
    existing = await provider.clients.get_client(DEMO_CLIENT_ID)
    if existing and existing.secret_digest and secret_matches(secret, existing.secret_digest):
        return
    if existing:  # seeded under another master secret: replace it so the printed one works
        await provider.clients.delete_client(DEMO_CLIENT_ID)
    request = ClientRequest(
        client_id=DEMO_CLIENT_ID,
        name="Demo App",
        redirect_uris=(DEMO_REDIRECT_URI,),
        post_logout_redirect_uris=("http://localhost:9999/",),
        grant_types=("authorization_code", "refresh_token"),
        scope="openid profile email offline_access",
    )
    await register_client(provider, request, secret)


async def _ensure_user(provider: Provider, password: str) -> None:
    existing = await provider.users.find_user_by_email(DEMO_EMAIL)
    if existing:
        if existing.password_hash and (await verify_password(password, existing.password_hash))[0]:
            return
        raise CommandError(f"{DEMO_EMAIL} already exists with another password")
    request = UserRequest(
        email=DEMO_EMAIL,
        email_verified=True,
        claims={"name": "Demo Customer", "given_name": "Demo", "family_name": "Customer"},
    )
    await create_user(provider, request, password)


def _authorization_url(issuer: str, verifier: str) -> str:
    # RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(verifier))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": DEMO_CLIENT_ID,
            "redirect_uri": DEMO_REDIRECT_URI,
            "scope": "openid profile email",
            "state": new_secret(16),
            "nonce": new_secret(16),
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )
    return f"{issuer}/authorize?{query}"
