"""Start-up configuration: every bad value fails in one line naming its variable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ciam_oidc.settings import ConfigError, load_settings

SECRET = "s" * 32


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CIAM_DATA_DIR", str(tmp_path / "var"))


def fails_naming(variable: str, **environment: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        with pytest.raises(ConfigError) as error:
            load_settings()
    message = str(error.value)
    assert message.startswith(variable + ":"), message
    assert "\n" not in message
    return message


def test_defaults_serve_localhost_on_the_embedded_database() -> None:
    settings = load_settings()
    assert settings.issuer == "http://localhost:8000"
    assert settings.database_url == "sqlite+aiosqlite:///./var/ciam.db"
    assert settings.signing_algs == ["RS256", "ES256", "Ed25519"]


def test_embedded_secret_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = load_settings().secret_bytes()
    secret_file = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert load_settings().secret_bytes() == first
    assert len(first) >= 32


def test_production_database_without_secret_fails() -> None:
    fails_naming("CIAM_SECRET_KEY", CIAM_DATABASE_URL="postgresql+asyncpg://db.internal/ciam")


def test_short_secret_fails() -> None:
    fails_naming("CIAM_SECRET_KEY", CIAM_SECRET_KEY="too-short")


@pytest.mark.parametrize(
    "issuer",
    [
        "http://id.example.com",  # OpenID Connect Discovery §3: https
        "https://id.example.com/?tenant=1",  # no query
        "https://id.example.com/#top",  # no fragment
        "id.example.com",
        "https://",
        "https://id.example.com?",  # an empty query is still a query
    ],
)
def test_malformed_issuer_fails(issuer: str) -> None:
    fails_naming("CIAM_ISSUER", CIAM_ISSUER=issuer)


def test_issuer_loses_its_trailing_slash_and_keeps_its_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CIAM_ISSUER", "https://id.example.com/tenant/")
    assert load_settings().issuer == "https://id.example.com/tenant"


def test_database_url_needs_a_supported_async_driver() -> None:
    fails_naming("CIAM_DATABASE_URL", CIAM_DATABASE_URL="mysql://db/ciam")
    fails_naming("CIAM_DATABASE_URL", CIAM_DATABASE_URL="not a url")


def test_plain_postgresql_urls_get_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIAM_DATABASE_URL", "postgresql://db/ciam")
    monkeypatch.setenv("CIAM_SECRET_KEY", SECRET)
    assert load_settings().database_url == "postgresql+asyncpg://db/ciam"


def test_signing_algorithms_are_a_comma_separated_list_that_includes_rs256(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CIAM_SIGNING_ALGS", "RS256, ES256")
    assert load_settings().signing_algs == ["RS256", "ES256"]
    fails_naming("CIAM_SIGNING_ALGS", CIAM_SIGNING_ALGS="ES256")
    fails_naming("CIAM_SIGNING_ALGS", CIAM_SIGNING_ALGS="RS256,HS256")


def test_access_token_algorithm_needs_a_key() -> None:
    fails_naming(
        "CIAM_ACCESS_TOKEN_SIGNING_ALG",
        CIAM_SIGNING_ALGS="RS256",
        CIAM_ACCESS_TOKEN_SIGNING_ALG="ES256",
    )


def test_non_numeric_or_out_of_range_lifetimes_fail() -> None:
    fails_naming("CIAM_ACCESS_TOKEN_TTL", CIAM_ACCESS_TOKEN_TTL="ten minutes")
    fails_naming("CIAM_AUTHORIZATION_CODE_TTL", CIAM_AUTHORIZATION_CODE_TTL="3600")


def test_unknown_setting_in_the_file_fails(tmp_path: Path) -> None:
    config = tmp_path / "ciam.toml"
    config.write_text('isuer = "https://id.example.com"\n')
    fails_naming("CIAM_ISUER", CIAM_CONFIG_FILE=str(config))


def test_toml_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ciam.toml"
    config.write_text('issuer = "https://id.example.com"\naccess_token_ttl = 120\n')
    monkeypatch.setenv("CIAM_CONFIG_FILE", str(config))
    monkeypatch.setenv("CIAM_ACCESS_TOKEN_TTL", "300")
    settings = load_settings()
    assert settings.issuer == "https://id.example.com"
    assert settings.access_token_ttl == 300


def test_malformed_toml_file_fails_naming_the_file_variable(tmp_path: Path) -> None:
    config = tmp_path / "ciam.toml"
    config.write_text("issuer = \n")
    fails_naming("CIAM_CONFIG_FILE", CIAM_CONFIG_FILE=str(config))


def test_missing_toml_file_fails_naming_the_file_variable(tmp_path: Path) -> None:
    fails_naming("CIAM_CONFIG_FILE", CIAM_CONFIG_FILE=str(tmp_path / "absent.toml"))
