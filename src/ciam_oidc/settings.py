"""Configuration: one immutable object built from `CIAM_*` variables and an optional TOML file.

Every field carries its own description so the README's configuration reference can be checked
against this module (tests/unit/test_settings_reference.py) and never drifts from it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "CIAM_"
# Ed25519 is the fully specified name RFC 9864 gives what RFC 8037 called EdDSA.
SigningAlg = Literal["RS256", "ES256", "Ed25519"]
Method = Literal["password", "totp", "passkey", "magic_link"]
EMBEDDED_DATABASE_URL = "sqlite+aiosqlite:///./var/ciam.db"
_MIN_SECRET_LENGTH = 32
_DRIVER_ALIASES = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable in one line."""


def _comma_list(value: object) -> object:
    """Accept `RS256,ES256` from the environment as well as a TOML array."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _methods(*names: Method) -> list[Method]:
    return list(names)


class Settings(BaseSettings):
    """Everything an operator can set. Durations are in seconds."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    issuer: str = Field(
        "http://localhost:8000",
        description="Issuer identifier: the public base URL of this provider. https, or http "
        "only for localhost; no query or fragment (OpenID Connect Discovery 1.0 §3).",
    )
    database_url: str = Field(
        EMBEDDED_DATABASE_URL,
        description="SQLAlchemy URL. `sqlite+aiosqlite:///path` for the embedded store, "
        "`postgresql+asyncpg://user:password@host/db` in production.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Master secret (at least 32 characters) for cookies and for encrypting "
        "keys at rest. Generated once under CIAM_DATA_DIR when unset on SQLite; required "
        "on any other database.",
    )
    data_dir: Path = Field(
        Path("./var"),
        description="Where the embedded default keeps its generated secret key.",
    )
    signing_algs: Annotated[list[SigningAlg], NoDecode] = Field(
        default_factory=lambda: list(get_args(SigningAlg)),
        description="Comma-separated JWS algorithms with a signing key each. RS256 is "
        "required for OpenID certification.",
    )
    access_token_signing_alg: SigningAlg = Field(
        "ES256",
        description="Algorithm for JWT access tokens; ES256 and Ed25519 sign five to ten times "
        "faster than RS256. Must be one of CIAM_SIGNING_ALGS.",
    )
    access_token_ttl: int = Field(600, ge=30, le=86_400, description="Access token lifetime.")
    id_token_ttl: int = Field(3_600, ge=30, le=86_400, description="ID token lifetime.")
    refresh_token_ttl: int = Field(
        2_592_000, ge=60, le=31_536_000, description="Refresh token lifetime."
    )
    authorization_code_ttl: int = Field(
        60, ge=5, le=600, description="Authorization code lifetime (RFC 6749 §4.1.2: 10 min max)."
    )
    session_ttl: int = Field(
        1_209_600, ge=300, le=31_536_000, description="Browser sign-in (SSO session) lifetime."
    )
    login_max_failures: int = Field(
        10,
        ge=1,
        le=100,
        description="Failed sign-ins allowed per account within CIAM_LOGIN_FAILURE_WINDOW "
        "before further attempts are refused (NIST SP 800-63B allows at most 100).",
    )
    login_failure_window: int = Field(
        900,
        ge=1,
        le=86_400,
        description="A failed sign-in is forgotten once this long passes without another; "
        "after CIAM_LOGIN_MAX_FAILURES the address is locked for this long.",
    )
    key_cache_seconds: int = Field(
        30,
        ge=0,
        le=3_600,
        description="How long a node trusts its in-memory signing keys before re-reading "
        "them: the bound on how stale one node's view of a rotation can be.",
    )
    client_cache_seconds: int = Field(
        30,
        ge=0,
        le=3_600,
        description="How long a node reuses a client registration it read: the bound on how "
        "long a changed or deleted client keeps working on other nodes.",
    )
    jwks_max_age_seconds: int = Field(
        300, ge=0, le=86_400, description="Cache-Control max-age of the JWKS document."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    first_factors: Annotated[list[Method], NoDecode] = Field(
        default_factory=lambda: _methods("password", "passkey", "magic_link"),
        description="Comma-separated sign-in methods that may start a sign-in, unless a "
        "client sets its own: password, passkey, magic_link.",
    )
    second_factors: Annotated[list[Method], NoDecode] = Field(
        default_factory=lambda: _methods("totp", "passkey"),
        description="Comma-separated methods that count as a second factor, unless a client "
        "sets its own: totp, passkey, password.",
    )
    require_mfa: bool = Field(
        False,
        description="Whether every sign-in needs two factors, unless a client decides.",
    )
    totp_issuer_name: str | None = Field(
        None,
        description="The account label authenticator apps show next to TOTP codes; the "
        "issuer's host name when unset.",
    )
    webauthn_rp_id: str | None = Field(
        None,
        description="WebAuthn relying party ID (a registrable domain of the sign-in pages); "
        "the issuer's host name when unset. Passkeys are bound to it for good.",
    )
    webauthn_rp_name: str = Field(
        "ciam-oidc", description="The name browsers show when a passkey is created."
    )
    webauthn_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins passkey ceremonies may come from; the issuer's "
        "origin when empty.",
    )
    magic_link_ttl: int = Field(
        600, ge=60, le=3_600, description="How long an emailed sign-in link stays valid."
    )
    pkce_required: Literal["all", "public"] = Field(
        "all",
        description="Which clients must use PKCE: `all`, or `public` only, letting confidential "
        "clients omit it (the OpenID conformance suite's OP plans send no code_challenge); a "
        "challenge sent is always enforced and a verifier without one always refused.",
    )
    client_registration: Literal["off", "token", "open"] = Field(
        "token",
        description="Dynamic client registration (RFC 7591) at /connect/register: `token` "
        "needs an initial access token from `ciam-oidc clients initial-token`, `open` lets "
        "anyone register, `off` removes the endpoint.",
    )
    upstream_timeout: float = Field(
        10.0,
        gt=0,
        le=60,
        description="Seconds to wait for an upstream identity provider (discovery, token, "
        "userinfo, JWKS) before the sign-in page says it is unavailable.",
    )
    upstream_metadata_ttl: int = Field(
        3_600,
        ge=0,
        le=86_400,
        description="How long upstream discovery documents and key sets are cached; an ID "
        "token signed by an unknown key fetches the key set again at once.",
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP server for outgoing mail (sign-in links). Unset: mail goes to the "
        "dev mailbox when that is enabled, and methods that need mail are not offered "
        "otherwise.",
    )
    smtp_port: int = Field(587, ge=1, le=65_535, description="SMTP server port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls (upgrade after connecting), tls (implicit TLS, usually port "
        "465) or none (only for a relay on the same host).",
    )
    smtp_username: str | None = Field(None, description="SMTP user name, if the server asks.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    mail_sender: str = Field(
        "ciam-oidc <no-reply@localhost>", description="The From address of outgoing mail."
    )
    registration_enabled: bool = Field(
        True,
        description="Whether people may create an account from the sign-in page, unless a "
        "client decides (`clients create --registration/--no-registration`).",
    )
    terms_version: str | None = Field(
        None,
        description="Version of the terms of service people accept when registering; the "
        "acceptance is recorded with its time. Unset: no terms to accept.",
    )
    terms_url: str | None = Field(None, description="Where the terms of service can be read.")
    password_min_length: int = Field(
        8, ge=8, le=64, description="Shortest password accepted (NIST SP 800-63B §3.1.1.2)."
    )
    email_verification_ttl: int = Field(
        1_800, ge=300, le=86_400, description="How long an emailed verification code is valid."
    )
    password_reset_ttl: int = Field(
        1_800, ge=300, le=86_400, description="How long an emailed password reset link is valid."
    )
    login_delay_after: int = Field(
        3,
        ge=1,
        le=100,
        description="Failed sign-ins to one account after which each further attempt must "
        "wait longer (doubling) before it is even checked.",
    )
    ip_limit_window: int = Field(
        600, ge=10, le=86_400, description="The window over which requests per IP are counted."
    )
    ip_sign_in_limit: int = Field(
        100,
        ge=1,
        le=100_000,
        description="Sign-in attempts one IP address may make per CIAM_IP_LIMIT_WINDOW.",
    )
    ip_mail_limit: int = Field(
        20,
        ge=1,
        le=100_000,
        description="Registrations, password resets and sign-in links one IP address may ask "
        "for per CIAM_IP_LIMIT_WINDOW.",
    )
    default_locale: Literal["en", "de", "es"] = Field(
        "en",
        description="Language of pages and mail when neither ui_locales nor the browser asks "
        "for one we have.",
    )
    brand_name: str = Field(
        "ciam-oidc", description="The name shown on every page and in mail, unless a client's."
    )
    brand_logo_url: str | None = Field(None, description="https URL of the default logo.")
    brand_color: str = Field("#0b57d0", description="Default accent colour (#rrggbb).")
    dev_mailbox: bool | None = Field(
        None,
        description="Keep outgoing mail in the database and list it at /dev/mailbox instead "
        "of sending it. Defaults to on for the embedded SQLite store without CIAM_SMTP_HOST, "
        "off otherwise; never enable it on a public deployment.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment beats the TOML file named by CIAM_CONFIG_FILE, which beats defaults."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(f"{ENV_PREFIX}CONFIG_FILE")
        if config_file:
            path = Path(config_file)
            if not path.is_file():  # a typo in the path must not silently drop the file
                raise FileNotFoundError(f"{path} is not a readable file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_url_without_query_or_fragment(cls, value: str) -> str:
        parts = urlsplit(value)
        local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError("must be an https URL (http only for localhost)")
        if not parts.hostname or "?" in value or "#" in value:
            raise ValueError("must be an absolute URL without query or fragment")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url_uses_an_async_driver(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in _DRIVER_ALIASES:
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {scheme + '://' if sep else 'no scheme'})"
            )
        return f"{_DRIVER_ALIASES[scheme]}://{rest}"

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < _MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {_MIN_SECRET_LENGTH} characters")
        return value

    @field_validator("signing_algs", mode="before")
    @classmethod
    def _split_signing_algs(cls, value: object) -> object:
        return _comma_list(value)

    @field_validator("brand_color")
    @classmethod
    def _brand_color_is_hex(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("must be a colour as #rrggbb")
        return value.lower()

    @field_validator("first_factors", "second_factors", "webauthn_origins", mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
        return _comma_list(value)

    @field_validator("first_factors")
    @classmethod
    def _can_identify(cls, value: list[Method]) -> list[Method]:
        if not value or "totp" in value:
            raise ValueError("must name methods that identify a person (not totp)")
        return list(dict.fromkeys(value))

    @field_validator("signing_algs")
    @classmethod
    def _rs256_is_always_available(cls, value: list[SigningAlg]) -> list[SigningAlg]:
        if "RS256" not in value:
            raise ValueError("must include RS256 (OpenID Connect Core §15.1)")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _access_token_alg_has_a_key(self) -> Settings:
        if self.access_token_signing_alg not in self.signing_algs:
            raise ValueError(
                "CIAM_ACCESS_TOKEN_SIGNING_ALG: must be one of CIAM_SIGNING_ALGS "
                f"({','.join(self.signing_algs)})"
            )
        return self

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url.startswith("sqlite+aiosqlite://")

    @property
    def uses_dev_mailbox(self) -> bool:
        if self.dev_mailbox is not None:
            return self.dev_mailbox
        return self.uses_embedded_database and self.smtp_host is None

    @property
    def rp_id(self) -> str:
        return self.webauthn_rp_id or str(urlsplit(self.issuer).hostname)

    @property
    def passkey_origins(self) -> list[str]:
        parts = urlsplit(self.issuer)
        return self.webauthn_origins or [f"{parts.scheme}://{parts.netloc}"]

    @property
    def longest_signed_token_ttl(self) -> int:
        """A retired key stays published this long after its successor starts signing."""
        return max(self.access_token_ttl, self.id_token_ttl)

    @property
    def key_publication_lead(self) -> int:
        """A new key is published this long before it signs, so every node and every
        relying party that cached the JWKS has seen it first."""
        return self.key_cache_seconds + self.jwks_max_age_seconds

    def secret_bytes(self) -> bytes:
        if self.secret_key is None:
            raise ConfigError("CIAM_SECRET_KEY: not set")
        return self.secret_key.get_secret_value().encode()


def _describe(error: ValidationError) -> str:
    """One line per problem, each naming the variable an operator has to fix."""
    lines = []
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if problem["loc"]:
            message = f"{ENV_PREFIX}{str(problem['loc'][0]).upper()}: {message}"
        lines.append(message)
    return "; ".join(lines)


def _embedded_secret(data_dir: Path) -> SecretStr:
    """Keep a development secret across restarts so cookies and encrypted keys survive them."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        log.warning(
            "CIAM_SECRET_KEY is not set: generated one in %s for the embedded database; "
            "set CIAM_SECRET_KEY in production",
            path,
        )
    return SecretStr(path.read_text().strip())


def load_settings(**overrides: Any) -> Settings:
    """Build the settings or raise ConfigError with a line an operator can act on."""
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    except (OSError, ValueError) as error:  # an unreadable or malformed TOML file
        raise ConfigError(f"{ENV_PREFIX}CONFIG_FILE: {error}") from None
    if settings.secret_key is not None:
        return settings
    if not settings.uses_embedded_database:
        raise ConfigError(
            "CIAM_SECRET_KEY: required when CIAM_DATABASE_URL is not the embedded SQLite store"
        )
    return settings.model_copy(update={"secret_key": _embedded_secret(settings.data_dir)})
