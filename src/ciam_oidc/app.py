"""Composition root: the one place that knows every layer, wires storage into the ports, and
mounts the routes of the enabled capabilities."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc import __version__
from ciam_oidc.authn.account import AccountDeletion, AccountSessions, ConnectedApps
from ciam_oidc.authn.account_export import AccountExport
from ciam_oidc.authn.account_profile import ProfileEditor
from ciam_oidc.authn.audit import AuditLog
from ciam_oidc.authn.authenticators import Authenticator, Registry
from ciam_oidc.authn.authenticators.magic_link import MagicLinkAuthenticator
from ciam_oidc.authn.authenticators.passkey import PasskeyAuthenticator
from ciam_oidc.authn.authenticators.password import PasswordAuthenticator
from ciam_oidc.authn.authenticators.totp import TotpAuthenticator
from ciam_oidc.authn.branding import Brand
from ciam_oidc.authn.credentials import EmailChanges, PasswordChanges
from ciam_oidc.authn.federation import Federation
from ciam_oidc.authn.flows import LoginFlows
from ciam_oidc.authn.interaction import Interactions
from ciam_oidc.authn.ip_limits import Action, IpLimits
from ciam_oidc.authn.logout_channels import BackChannelDelivery, LogoutChannels
from ciam_oidc.authn.mail import BackgroundMailer, Mailbox, Mailer
from ciam_oidc.authn.passkeys import Passkeys
from ciam_oidc.authn.password_policy import PasswordPolicy
from ciam_oidc.authn.password_reset import PasswordResets
from ciam_oidc.authn.policy import Policies
from ciam_oidc.authn.recovery_codes import RecoveryCodes
from ciam_oidc.authn.registration import CODE_KEY_PURPOSE, Registrations
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.authn.throttle import LoginThrottle
from ciam_oidc.authn.totp_enrolment import TotpEnrolment
from ciam_oidc.authn.upstream_links import UpstreamLinks
from ciam_oidc.crypto.derived_keys import derive_key
from ciam_oidc.crypto.encryption import SecretBox
from ciam_oidc.crypto.keyring import KeyRing, RotationPolicy, utc_now
from ciam_oidc.federation.client import UpstreamClients
from ciam_oidc.fetch.documents import RemoteDocuments
from ciam_oidc.fetch.logout_delivery import HttpLogoutTokenSender
from ciam_oidc.mail.smtp import SmtpMailer
from ciam_oidc.protocol.authorization.metadata import authorization_metadata
from ciam_oidc.protocol.authorization.tokens import AuthorizationTokens
from ciam_oidc.protocol.client_assertion import ClientAssertionVerifier
from ciam_oidc.protocol.client_auth import ClientAuthenticator
from ciam_oidc.protocol.client_cache import CachedClientStore
from ciam_oidc.protocol.client_keys import CACHE_SECONDS as CLIENT_KEYS_CACHE_SECONDS
from ciam_oidc.protocol.client_keys import ClientKeys
from ciam_oidc.protocol.client_registration import ClientRegistration
from ciam_oidc.protocol.client_registration import metadata as registration_metadata
from ciam_oidc.protocol.discovery import core_metadata
from ciam_oidc.protocol.end_session import end_session_metadata
from ciam_oidc.protocol.grants.authorization_code import AuthorizationCodeGrant
from ciam_oidc.protocol.grants.client_credentials import ClientCredentialsGrant
from ciam_oidc.protocol.grants.refresh_token import RefreshTokenGrant
from ciam_oidc.protocol.introspection import IntrospectionEndpoint
from ciam_oidc.protocol.introspection import metadata as introspection_metadata
from ciam_oidc.protocol.logout_tokens import LogoutTokenIssuer
from ciam_oidc.protocol.request_objects import RequestObjects
from ciam_oidc.protocol.revocation import RevocationEndpoint
from ciam_oidc.protocol.revocation import metadata as revocation_metadata
from ciam_oidc.protocol.subjects import Subjects
from ciam_oidc.protocol.token_endpoint import TokenEndpoint
from ciam_oidc.protocol.tokens.access_token import AccessTokenIssuer
from ciam_oidc.protocol.tokens.access_token_verifier import AccessTokenVerifier
from ciam_oidc.protocol.tokens.id_token import IdTokenIssuer
from ciam_oidc.protocol.userinfo import UserInfoEndpoint
from ciam_oidc.protocol.userinfo import metadata as userinfo_metadata
from ciam_oidc.settings import Settings, load_settings
from ciam_oidc.store.account_traces import SqlAccountTraces
from ciam_oidc.store.audit import SqlAuditStore
from ciam_oidc.store.client_assertions import SqlAssertionReplayStore
from ciam_oidc.store.client_registration import SqlInitialAccessTokenStore
from ciam_oidc.store.clients import SqlClientStore
from ciam_oidc.store.consents import SqlConsentStore
from ciam_oidc.store.credential_failures import SqlFailureCounter
from ciam_oidc.store.database import Database
from ciam_oidc.store.grants import SqlGrantStore, SqlSessionClients
from ciam_oidc.store.keys import SqlKeyStore
from ciam_oidc.store.login_flows import SqlLoginFlowStore
from ciam_oidc.store.logout_deliveries import SqlLogoutDeliveryStore
from ciam_oidc.store.mail_links import SqlMagicLinkStore
from ciam_oidc.store.mailbox import DevMailbox
from ciam_oidc.store.migrations import current_revision, head_revision
from ciam_oidc.store.passkeys import SqlPasskeyStore
from ciam_oidc.store.password_resets import SqlEmailChangeStore, SqlResetLinkStore
from ciam_oidc.store.refresh_lookup import SqlRefreshTokenLookup
from ciam_oidc.store.registrations import SqlPendingRegistrationStore
from ciam_oidc.store.request_counts import SqlRequestCounter
from ciam_oidc.store.revoked_tokens import SqlRevokedTokenStore
from ciam_oidc.store.sessions import SqlSessionStore
from ciam_oidc.store.totp import SqlTotpStore
from ciam_oidc.store.upstreams import (
    SqlLinkedIdentityStore,
    SqlPendingRedirectStore,
    SqlUpstreamStore,
)
from ciam_oidc.store.users import SqlUserStore
from ciam_oidc.web.account import AccountGuard, account_router
from ciam_oidc.web.account_credentials import email_change_router, password_change_router
from ciam_oidc.web.account_pages import AccountServices, account_pages_router
from ciam_oidc.web.account_passkeys import passkeys_router
from ciam_oidc.web.account_totp import totp_router
from ciam_oidc.web.authorize import AUTHORIZE_PATH, LoginSubmission, authorize_router
from ciam_oidc.web.branding import BRAND_CSS_PATH, BrandScope, brand_router
from ciam_oidc.web.client_registration import REGISTRATION_PATH, client_registration_router
from ciam_oidc.web.csrf import CsrfProtection
from ciam_oidc.web.dev_mailbox import dev_mailbox_router
from ciam_oidc.web.device_cookie import DeviceCookie
from ciam_oidc.web.discovery import discovery_router
from ciam_oidc.web.end_session import END_SESSION_PATH, end_session_router
from ciam_oidc.web.federation import federation_router
from ciam_oidc.web.health import health_router
from ciam_oidc.web.jwks import JWKS_PATH, jwks_router
from ciam_oidc.web.locale import LocaleMiddleware
from ciam_oidc.web.magic_link import magic_link_router
from ciam_oidc.web.outcomes import OutcomePages
from ciam_oidc.web.pages import Pages, static_files
from ciam_oidc.web.password_reset import password_reset_router
from ciam_oidc.web.rate_limits import RateLimits
from ciam_oidc.web.registration import registration_router
from ciam_oidc.web.security_headers import SecurityHeaders
from ciam_oidc.web.session_cookie import SessionCookie
from ciam_oidc.web.token import TOKEN_PATH, token_router
from ciam_oidc.web.token_management import (
    INTROSPECTION_PATH,
    REVOCATION_PATH,
    introspection_router,
    revocation_router,
)
from ciam_oidc.web.userinfo import USERINFO_PATH, userinfo_router

log = logging.getLogger(__name__)
# A client's documents (keys, sector identifiers, request objects) are small and its servers
# should answer at once; a sign-in or registration waits for them.
CLIENT_DOCUMENT_TIMEOUT = 5.0


class SchemaNotCurrent(Exception):
    """The database schema is not the one this code expects: run `ciam-oidc migrate`."""


@dataclass(frozen=True)
class Provider:
    """Everything a request or a CLI command may need, built once from the settings."""

    settings: Settings
    database: Database
    keyring: KeyRing
    clients: CachedClientStore
    users: SqlUserStore
    token_endpoint: TokenEndpoint
    interactions: Interactions
    userinfo: UserInfoEndpoint
    revocation: RevocationEndpoint
    introspection: IntrospectionEndpoint
    client_secrets: SecretBox
    """Seals and opens the secrets of client_secret_jwt clients."""
    sign_in: SignIn
    audit: AuditLog
    federation: Federation
    upstream_secrets: SecretBox
    """Seals and opens the client secrets and private keys of upstream identity providers."""
    upstream_client: UpstreamClients
    documents: RemoteDocuments
    """Fetches what clients register by URL (jwks_uri, sector_identifier_uri, request_uri)."""
    logout: LogoutChannels
    """Tells clients when a session they were signed in through ends (front/back-channel)."""
    logout_delivery: BackChannelDelivery
    """Sends and retries back-channel logout tokens; started by the app's lifespan."""

    async def schema_problem(self) -> str | None:
        """None when the database answers and carries the newest migration."""
        try:
            revision = await current_revision(self.database)
        except Exception as error:  # any driver failure means "not ready"
            # The details (host, user, driver text) go to the log, not to whoever asks.
            log.warning("not ready: cannot reach %s: %s", self.database.display_url, error)
            return "database unreachable"
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

    async def account_name(self, sub: str) -> str:
        """How pages and authenticator apps name an account: its email address."""
        user = await self.users.get_user(sub)
        return user.email if user else sub

    async def close(self) -> None:
        await self.logout_delivery.aclose()
        if self.sign_in.outbox is not None:
            await self.sign_in.outbox.aclose()
        await self.upstream_client.aclose()
        await self.documents.aclose()
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
    clients = CachedClientStore(SqlClientStore(database), settings.client_cache_seconds)
    users = SqlUserStore(database)
    grant_store = SqlGrantStore(database)
    audit = AuditLog(SqlAuditStore(database), utc_now)
    sign_in = _sign_in(settings, database, users, audit)
    upstream_secrets = SecretBox(settings.secret_bytes(), "upstream-secrets")
    upstream_client = UpstreamClients(
        settings.upstream_timeout, settings.upstream_metadata_ttl, utc_now
    )
    upstreams = SqlUpstreamStore(database, upstream_secrets)
    links = SqlLinkedIdentityStore(database)
    federation = Federation(
        upstreams=upstreams,
        links=links,
        redirects=SqlPendingRedirectStore(database),
        client=upstream_client,
        users=users,
        audit=audit,
        issuer=settings.issuer,
        clock=utc_now,
        linking=UpstreamLinks(
            upstreams,
            links,
            audit,
            utc_now,
            local_methods=tuple(m for m in sign_in.methods if m.id in settings.first_factors),
            mail_sign_in=(
                sign_in.magic_links is not None and "magic_link" in settings.first_factors
            ),
        ),
    )
    subjects = Subjects(settings.secret_bytes())  # pairwise `sub` values, OpenID Connect Core §8
    access_tokens = AccessTokenIssuer(
        keyring,
        settings.issuer,
        settings.access_token_signing_alg,
        settings.access_token_ttl,
        subjects,
    )
    id_tokens = IdTokenIssuer(keyring, settings.issuer, settings.id_token_ttl, subjects)
    revoked = SqlRevokedTokenStore(database)
    refresh_lookup = SqlRefreshTokenLookup(database)
    verifier = AccessTokenVerifier(
        keyring, settings.issuer, grant_store, revoked, utc_now, subjects
    )
    documents = RemoteDocuments(
        CLIENT_DOCUMENT_TIMEOUT,
        allow_loopback_http=urlsplit(settings.issuer).hostname in {"localhost", "127.0.0.1"},
    )
    client_keys = ClientKeys(documents, CLIENT_KEYS_CACHE_SECONDS, utc_now)
    client_secrets = SecretBox(settings.secret_bytes(), "client-secrets")
    client_auth = ClientAuthenticator(
        clients,
        ClientAssertionVerifier(
            # RFC 7523 §3 item 3: the issuer, or the URL of the endpoint the assertion is for.
            audiences=frozenset(
                settings.issuer + path
                for path in ("", TOKEN_PATH, REVOCATION_PATH, INTROSPECTION_PATH)
            ),
            replays=SqlAssertionReplayStore(database),
            client_secrets=client_secrets,
            clock=utc_now,
            client_keys=client_keys,
        ),
    )
    interactions = Interactions(
        clients=clients,
        consents=SqlConsentStore(database),
        codes=grant_store,
        grants=grant_store,
        flows=LoginFlows(SqlLoginFlowStore(database)),
        sessions=Sessions(SqlSessionStore(database), timedelta(seconds=settings.session_ttl)),
        methods=sign_in.methods,
        policies=Policies.from_settings(
            settings.first_factors,
            settings.second_factors,
            settings.require_mfa,
            settings.registration_enabled,
            can_mail=sign_in.outbox is not None,
        ),
        keyring=keyring,
        issuer=settings.issuer,
        code_ttl=settings.authorization_code_ttl,
        clock=utc_now,
        audit=audit,
        request_objects=RequestObjects(documents, client_keys, settings.issuer, utc_now),
        tokens=AuthorizationTokens(users, access_tokens, id_tokens),
        federation=federation,
        pkce_for_confidential=settings.pkce_required == "all",
    )
    token_endpoint = TokenEndpoint(
        client_auth,
        [
            AuthorizationCodeGrant(
                codes=grant_store,
                grants=grant_store,
                refresh_tokens=grant_store,
                users=users,
                access_tokens=access_tokens,
                id_tokens=id_tokens,
                clock=utc_now,
                refresh_ttl=settings.refresh_token_ttl,
            ),
            RefreshTokenGrant(
                refresh_tokens=grant_store,
                grants=grant_store,
                users=users,
                access_tokens=access_tokens,
                id_tokens=id_tokens,
                clock=utc_now,
                refresh_ttl=settings.refresh_token_ttl,
            ),
            ClientCredentialsGrant(access_tokens, utc_now),
        ],
    )
    logout, logout_delivery = _logout_channels(
        database, clients, LogoutTokenIssuer(keyring, settings.issuer, subjects=subjects)
    )
    return Provider(
        settings=settings,
        database=database,
        keyring=keyring,
        clients=clients,
        users=users,
        token_endpoint=token_endpoint,
        interactions=interactions,
        userinfo=UserInfoEndpoint(verifier, users, clients, keyring, settings.issuer),
        revocation=RevocationEndpoint(
            client_auth, verifier, refresh_lookup, grant_store, revoked, utc_now
        ),
        introspection=IntrospectionEndpoint(
            client_auth, verifier, refresh_lookup, grant_store, utc_now, subjects
        ),
        client_secrets=client_secrets,
        sign_in=sign_in,
        audit=audit,
        federation=federation,
        upstream_secrets=upstream_secrets,
        upstream_client=upstream_client,
        documents=documents,
        logout=logout,
        logout_delivery=logout_delivery,
    )


def _logout_channels(
    database: Database, clients: CachedClientStore, tokens: LogoutTokenIssuer
) -> tuple[LogoutChannels, BackChannelDelivery]:
    """Provider's `logout` and `logout_delivery`, which wakes as soon as tokens are queued."""
    deliveries = SqlLogoutDeliveryStore(database)
    delivery = BackChannelDelivery(deliveries, HttpLogoutTokenSender(), clients, tokens, utc_now)
    channels = LogoutChannels(
        clients, SqlSessionClients(database), deliveries, tokens, utc_now, wake=delivery.wake
    )
    return channels, delivery


@dataclass(frozen=True)
class SignIn:
    """The sign-in methods this deployment runs, and what their pages need besides."""

    methods: Registry
    totp_enrolment: TotpEnrolment
    passkeys: Passkeys
    magic_links: MagicLinkAuthenticator | None
    """None when no way to send mail is configured."""
    outbox: BackgroundMailer | None
    """Outgoing mail, sent in the background."""
    mailbox: Mailbox | None
    """The dev mailbox, when mail is kept rather than sent (CIAM_DEV_MAILBOX)."""
    throttle: LoginThrottle
    """Attempts per account or address, for every form that checks a secret or sends mail:
    one schedule of waits for all, since their keys meet in one table."""


def _sign_in(
    settings: Settings, database: Database, users: SqlUserStore, audit: AuditLog
) -> SignIn:
    throttle = LoginThrottle(
        SqlFailureCounter(database),
        derive_key(settings.secret_bytes(), "login-throttle"),
        settings.login_max_failures,
        timedelta(seconds=settings.login_failure_window),
        utc_now,
        delay_after=settings.login_delay_after,
        audit=audit,
    )
    mailbox = DevMailbox(database, utc_now) if settings.uses_dev_mailbox else None
    mailer: Mailer | None = mailbox or (
        SmtpMailer.from_settings(settings) if settings.smtp_host else None
    )
    outbox = BackgroundMailer(mailer) if mailer else None
    magic_links = (
        MagicLinkAuthenticator(
            users=users,
            links=SqlMagicLinkStore(database),
            mailer=outbox,
            throttle=throttle,
            base_url=settings.issuer,
            ttl=timedelta(seconds=settings.magic_link_ttl),
            clock=utc_now,
        )
        if outbox
        else None
    )
    totp_store = SqlTotpStore(database)
    totp_box = SecretBox(settings.secret_bytes(), "totp")
    recovery_codes = RecoveryCodes(settings.secret_bytes())
    totp_enrolment = TotpEnrolment(
        totp_store,
        totp_box,
        recovery_codes,
        settings.totp_issuer_name or str(urlsplit(settings.issuer).hostname),
        utc_now,
    )
    passkeys = Passkeys(
        SqlPasskeyStore(database),
        settings.rp_id,
        settings.webauthn_rp_name,
        settings.passkey_origins,
        utc_now,
    )
    methods: list[Authenticator | None] = [
        PasswordAuthenticator(users, throttle),
        PasskeyAuthenticator(passkeys, throttle),
        TotpAuthenticator(totp_store, totp_box, recovery_codes, throttle, utc_now),
        magic_links,
    ]
    return SignIn(
        methods=Registry(*(method for method in methods if method is not None)),
        totp_enrolment=totp_enrolment,
        passkeys=passkeys,
        magic_links=magic_links,
        outbox=outbox,
        mailbox=mailbox,
        throttle=throttle,
    )


def _registrations(provider: Provider) -> Registrations | None:
    """Registration needs mail, to prove the address: None when none can be sent."""
    settings, database = provider.settings, provider.database
    if provider.sign_in.outbox is None:
        return None
    return Registrations(
        users=provider.users,
        pending=SqlPendingRegistrationStore(database),
        mailer=provider.sign_in.outbox,
        throttle=provider.sign_in.throttle,
        passwords=PasswordPolicy(settings.password_min_length),
        audit=provider.audit,
        code_key=derive_key(settings.secret_bytes(), CODE_KEY_PURPOSE),
        base_url=settings.issuer,
        ttl=timedelta(seconds=settings.email_verification_ttl),
        terms_version=settings.terms_version,
        clock=utc_now,
    )


def _credential_routers(
    provider: Provider, guard: AccountGuard, outcomes: OutcomePages, limits: RateLimits
) -> Iterator[APIRouter]:
    """Password change; with mail, password reset and email change too."""
    settings, database = provider.settings, provider.database
    sessions = provider.interactions.sessions
    policy = PasswordPolicy(settings.password_min_length)
    throttle = provider.sign_in.throttle
    passwords = PasswordChanges(provider.users, sessions, throttle, policy, provider.audit, utc_now)
    yield password_change_router(guard, outcomes, passwords, provider.account_name)
    outbox = provider.sign_in.outbox
    if outbox is None:
        return
    resets = PasswordResets(
        users=provider.users,
        links=SqlResetLinkStore(database),
        sessions=sessions,
        grants=provider.interactions.grants,
        policy=policy,
        mailer=outbox,
        throttle=throttle,
        flows=provider.interactions.flows,
        audit=provider.audit,
        base_url=settings.issuer,
        ttl=timedelta(seconds=settings.password_reset_ttl),
        clock=utc_now,
    )
    yield password_reset_router(outcomes, resets, limits)
    email_changes = EmailChanges(
        users=provider.users,
        changes=SqlEmailChangeStore(database),
        mailer=outbox,
        throttle=throttle,
        audit=provider.audit,
        code_key=derive_key(settings.secret_bytes(), "email-change-codes"),
        ttl=timedelta(seconds=settings.email_verification_ttl),
        clock=utc_now,
    )
    yield email_change_router(guard, outcomes, email_changes, provider.account_name, limits)


def _rate_limits(provider: Provider, pages: Pages) -> RateLimits:
    """Per-network limits on sign-in attempts and on mail, counted in the database."""
    settings = provider.settings
    limits = IpLimits(
        SqlRequestCounter(provider.database),
        derive_key(settings.secret_bytes(), "ip-limits"),
        {Action.SIGN_IN: settings.ip_sign_in_limit, Action.MAIL: settings.ip_mail_limit},
        timedelta(seconds=settings.ip_limit_window),
        utc_now,
    )
    return RateLimits(limits, pages)


def _client_registration(provider: Provider) -> ClientRegistration:
    """Dynamic client registration (RFC 7591) and management (RFC 7592)."""
    settings = provider.settings
    return ClientRegistration(
        mode=settings.client_registration,
        endpoint_url=f"{settings.issuer}{REGISTRATION_PATH}",
        clients=SqlClientStore(provider.database),
        initial_tokens=SqlInitialAccessTokenStore(provider.database),
        documents=provider.documents,
        client_secrets=provider.client_secrets,
        signing_algs=tuple(settings.signing_algs),
        clock=utc_now,
        forget=provider.clients.forget,
    )


def _account_services(provider: Provider) -> AccountServices:
    """The account's own pages: profile, sessions, connected apps, export and deletion."""
    database, audit = provider.database, provider.audit
    sessions, grants = provider.interactions.sessions, provider.interactions.grants
    apps = ConnectedApps(provider.clients, provider.interactions.consents, grants, audit, utc_now)
    browsers = AccountSessions(sessions, audit, utc_now, provider.logout)
    return AccountServices(
        profiles=ProfileEditor(provider.users, audit, utc_now),
        sessions=browsers,
        apps=apps,
        audit=audit,
        export=AccountExport(
            provider.users,
            browsers,
            apps,
            provider.sign_in.passkeys,
            SqlTotpStore(database),
            provider.federation.links,
            audit,
            utc_now,
        ),
        deletion=AccountDeletion(
            provider.users, grants, sessions, SqlAccountTraces(database), audit, utc_now
        ),
    )


def create_app(settings: Settings) -> FastAPI:
    provider = build_provider(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await provider.ensure_ready()
        provider.logout_delivery.start()
        try:
            yield
        finally:
            await provider.close()

    app = FastAPI(title="ciam-oidc", version=__version__, lifespan=lifespan)
    app.state.provider = provider
    issuer_path = urlsplit(settings.issuer).path
    secure = settings.issuer.startswith("https://")
    metadata = core_metadata(settings.issuer, JWKS_PATH, settings.signing_algs)
    metadata |= authorization_metadata(settings.issuer, AUTHORIZE_PATH)
    metadata |= provider.token_endpoint.metadata(settings.issuer, TOKEN_PATH)
    metadata |= end_session_metadata(settings.issuer, END_SESSION_PATH)
    metadata |= userinfo_metadata(settings.issuer, USERINFO_PATH, settings.signing_algs)
    metadata |= revocation_metadata(settings.issuer, REVOCATION_PATH)
    metadata |= introspection_metadata(settings.issuer, INTROSPECTION_PATH)
    if settings.client_registration != "off":
        metadata |= registration_metadata(settings.issuer, REGISTRATION_PATH)
    app.add_middleware(SecurityHeaders, hsts=secure)
    app.add_middleware(LocaleMiddleware, default=settings.default_locale, secure=secure)
    brand = Brand(settings.brand_name, settings.brand_color, settings.brand_logo_url)
    app.add_middleware(BrandScope, brand=brand)
    app.mount(f"{issuer_path}/static", static_files(), name="static")
    outcomes = OutcomePages(
        Pages(static_url=f"{issuer_path}/static", brand_css_url=f"{issuer_path}{BRAND_CSS_PATH}"),
        CsrfProtection(settings.secret_bytes(), secure=secure),
        issuer_path,
    )
    cookie = SessionCookie(secure=secure, max_age=settings.session_ttl)
    app.include_router(discovery_router(metadata))
    app.include_router(brand_router(provider.clients, issuer_path))
    sessions = provider.interactions.sessions
    guard = AccountGuard(sessions, cookie, issuer_path, utc_now)
    device = DeviceCookie(secure)
    limits = _rate_limits(provider, outcomes.pages)
    app.include_router(authorize_router(provider.interactions, outcomes, cookie, device, limits))
    app.include_router(
        federation_router(
            provider.interactions,
            provider.federation,
            provider.federation.linking,
            outcomes,
            guard,
            cookie,
            device,
            limits,
        )
    )
    app.include_router(
        passkeys_router(guard, outcomes, provider.sign_in.passkeys, provider.account_name)
    )
    app.include_router(
        totp_router(guard, outcomes, provider.sign_in.totp_enrolment, provider.account_name)
    )
    if provider.sign_in.magic_links is not None:
        submit = LoginSubmission(provider.interactions, outcomes, cookie, device, limits)

        async def redeem(flow_id: str, token: str, request: Request) -> Response:
            return await submit(request, flow_id, {"method": "magic_link", "token": token})

        app.include_router(
            magic_link_router(
                outcomes,
                provider.sign_in.magic_links,
                device,
                redeem,
                provider.interactions.redirect_target,
            )
        )
    if provider.sign_in.mailbox is not None:
        app.include_router(
            dev_mailbox_router(
                provider.sign_in.mailbox, outcomes.pages, issuer_path, settings.issuer
            )
        )
    app.include_router(
        account_router(guard, outcomes, provider.interactions, provider.account_name)
    )
    app.include_router(
        account_pages_router(
            guard, outcomes, cookie, _account_services(provider), provider.account_name
        )
    )
    app.include_router(
        registration_router(
            outcomes,
            provider.interactions,
            _registrations(provider),
            cookie,
            limits,
            settings.terms_url,
        )
    )
    for credential_router in _credential_routers(provider, guard, outcomes, limits):
        app.include_router(credential_router)
    app.include_router(token_router(provider.token_endpoint, issuer_path))
    app.include_router(userinfo_router(provider.userinfo, issuer_path))
    app.include_router(revocation_router(provider.revocation, issuer_path))
    app.include_router(introspection_router(provider.introspection, issuer_path))
    if settings.client_registration != "off":
        app.include_router(client_registration_router(_client_registration(provider), issuer_path))
    app.include_router(
        end_session_router(
            provider.clients,
            provider.keyring,
            provider.interactions.sessions,
            settings.issuer,
            outcomes,
            cookie,
            utc_now,
            provider.logout,
            provider.interactions.tokens.id_tokens.subjects,
        )
    )
    app.include_router(jwks_router(provider.keyring, issuer_path, settings.jwks_max_age_seconds))
    app.include_router(health_router(provider.schema_problem))
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes, which each read the environment."""
    return create_app(load_settings())
