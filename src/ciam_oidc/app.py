"""Composition root: the one place that knows every layer, wires storage into the ports, and
mounts the routes of the enabled capabilities."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import FastAPI

from ciam_oidc import __version__
from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.crypto.keyring import KeyRing, RotationPolicy, utc_now
from ciam_oidc.protocol.discovery import core_metadata
from ciam_oidc.protocol.grants.client_credentials import ClientCredentialsGrant
from ciam_oidc.protocol.token_endpoint import TokenEndpoint
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer
from ciam_oidc.settings import Settings, load_settings
from ciam_oidc.store.clients import SqlClientStore
from ciam_oidc.store.database import Database, DatabaseUnavailable
from ciam_oidc.store.keys import SqlKeyStore
from ciam_oidc.store.migrations import current_revision, head_revision
from ciam_oidc.store.users import SqlUserStore
from ciam_oidc.web.discovery import discovery_router
from ciam_oidc.web.health import health_router
from ciam_oidc.web.jwks import JWKS_PATH, jwks_router
from ciam_oidc.web.token import TOKEN_PATH, token_router

log = logging.getLogger(__name__)


class SchemaNotCurrent(Exception):
    """The database schema is not the one this code expects: run `ciam-oidc migrate`."""


@dataclass(frozen=True)
class Provider:
    """Everything a request or a CLI command may need, built once from the settings."""

    settings: Settings
    database: Database
    keyring: KeyRing
    clients: SqlClientStore
    users: SqlUserStore
    token_endpoint: TokenEndpoint

    async def schema_problem(self) -> str | None:
        """None when the database answers and carries the newest migration."""
        try:
            revision = await current_revision(self.database)
        except DatabaseUnavailable as error:
            return str(error)
        except Exception as error:  # any driver failure means "not ready", with its reason
            return f"cannot reach {self.database.display_url}: {type(error).__name__}"
        head = head_revision()
        if revision != head:
            return f"database schema is at {revision or 'nothing'}, code expects {head}"
        return None

    async def ensure_ready(self) -> None:
        """Fail early with an operator-readable reason rather than on the first request."""
        await self.database.ping()
        problem = await self.schema_problem()
        if problem:
            raise SchemaNotCurrent(f"{problem}: run `ciam-oidc migrate`")
        for key in await self.keyring.ensure_keys():
            log.info("created %s signing key %s", key.alg, key.kid)

    async def close(self) -> None:
        await self.database.dispose()


def build_provider(settings: Settings) -> Provider:
    database = Database(settings.database_url)
    policy = RotationPolicy(
        algs=tuple(settings.signing_algs),
        publication_lead=timedelta(seconds=settings.key_publication_lead),
        retirement_delay=timedelta(seconds=settings.longest_signed_token_ttl),
        cache_seconds=settings.key_cache_seconds,
    )
    keyring = KeyRing(
        SqlKeyStore(database), SecretBox(settings.secret_bytes(), "signing-keys"), policy
    )
    clients = SqlClientStore(database)
    access_tokens = AccessTokenIssuer(
        keyring, settings.issuer, settings.access_token_signing_alg, settings.access_token_ttl
    )
    return Provider(
        settings=settings,
        database=database,
        keyring=keyring,
        clients=clients,
        users=SqlUserStore(database),
        token_endpoint=TokenEndpoint(clients, [ClientCredentialsGrant(access_tokens, utc_now)]),
    )


def create_app(settings: Settings) -> FastAPI:
    provider = build_provider(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await provider.ensure_ready()
        try:
            yield
        finally:
            await provider.close()

    app = FastAPI(title="ciam-oidc", version=__version__, lifespan=lifespan)
    app.state.provider = provider
    issuer_path = urlsplit(settings.issuer).path
    metadata = core_metadata(settings.issuer, JWKS_PATH, settings.signing_algs)
    metadata |= provider.token_endpoint.metadata(settings.issuer, TOKEN_PATH)
    app.include_router(discovery_router(metadata))
    app.include_router(token_router(provider.token_endpoint, issuer_path))
    app.include_router(jwks_router(provider.keyring, issuer_path, settings.jwks_max_age_seconds))
    app.include_router(health_router(provider.schema_problem))
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes, which each read the environment."""
    return create_app(load_settings())
