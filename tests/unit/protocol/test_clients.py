"""Registration rules shared by the CLI and (later) dynamic client registration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ciam_oidc.crypto.secrets import secret_matches
from ciam_oidc.protocol.clients import ClientRequest, register_client
from ciam_oidc.protocol.errors import InvalidClientMetadata, InvalidRedirectUri

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WEB = ClientRequest(name="Web", redirect_uris=("https://app.example.com/cb",))


def request(**changes: object) -> ClientRequest:
    values = {**WEB.__dict__, **changes}
    return ClientRequest(**values)  # type: ignore[arg-type]


def test_confidential_client_gets_a_secret_stored_only_as_a_digest() -> None:
    client, secret = register_client(WEB, NOW)
    assert secret is not None
    assert len(secret) >= 43
    assert client.secret_digest is not None
    assert secret not in client.secret_digest
    assert secret_matches(secret, client.secret_digest)
    assert client.token_endpoint_auth_method != "none"


def test_public_client_has_no_secret() -> None:
    client, secret = register_client(request(token_endpoint_auth_method="none"), NOW)
    assert secret is None
    assert client.secret_digest is None
    assert client.token_endpoint_auth_method == "none"


def test_response_types_follow_grant_types() -> None:
    """RFC 7591 §2.1: the two must be consistent."""
    web, _ = register_client(WEB, NOW)
    machine, _ = register_client(
        ClientRequest(name="Machine", grant_types=("client_credentials",)), NOW
    )
    assert web.response_types == ("code",)
    assert machine.response_types == ()
    assert machine.redirect_uris == ()


def test_public_client_cannot_use_client_credentials() -> None:
    with pytest.raises(InvalidClientMetadata):
        register_client(
            request(token_endpoint_auth_method="none", grant_types=("client_credentials",)), NOW
        )


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/cb#fragment",  # RFC 6749 §3.1.2: no fragment
        "/relative/cb",
        "http://app.example.com/cb",  # plain http only on loopback
        "myapp:/cb",  # RFC 8252 §7.1: private-use schemes are reverse domain names
        "https:///no-host",
    ],
)
def test_unacceptable_redirect_uris_are_refused(uri: str) -> None:
    with pytest.raises(InvalidRedirectUri):
        register_client(request(redirect_uris=(uri,)), NOW)


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/cb?x=1",
        "http://localhost:9999/cb",
        "http://127.0.0.1/cb",
        "com.example.app:/oauth2redirect",
    ],
)
def test_acceptable_redirect_uris_are_kept_exactly(uri: str) -> None:
    client, _ = register_client(request(redirect_uris=(uri,)), NOW)
    assert client.redirect_uris == (uri,)


def test_code_grant_needs_a_redirect_uri() -> None:
    with pytest.raises(InvalidRedirectUri):
        register_client(request(redirect_uris=()), NOW)


def test_post_logout_redirect_uris_follow_the_same_rules() -> None:
    with pytest.raises(InvalidRedirectUri):
        register_client(request(post_logout_redirect_uris=("http://evil.example/",)), NOW)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"token_endpoint_auth_method": "private_key_jwt"}, InvalidClientMetadata),
        ({"grant_types": ("password",)}, InvalidClientMetadata),
        ({"grant_types": ()}, InvalidClientMetadata),
        ({"grant_types": ("refresh_token",)}, InvalidClientMetadata),
        ({"scope": 'openid "quoted"'}, InvalidClientMetadata),
        ({"scope": "   "}, InvalidClientMetadata),
        ({"name": " "}, InvalidClientMetadata),
    ],
)
def test_inconsistent_or_unsupported_metadata_is_refused(
    changes: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        register_client(request(**changes), NOW)


def test_duplicate_values_are_collapsed_in_order() -> None:
    client, _ = register_client(request(scope="openid email openid profile"), NOW)
    assert client.scope == "openid email profile"


def test_a_sign_in_policy_is_kept_and_left_to_the_server_when_unset() -> None:
    client, _ = register_client(
        request(first_factors=("passkey", "passkey"), second_factors=("totp",), require_mfa=True),
        NOW,
    )
    assert client.first_factors == ("passkey",)
    assert client.second_factors == ("totp",)
    assert client.require_mfa is True
    default, _ = register_client(WEB, NOW)
    assert (default.first_factors, default.second_factors, default.require_mfa) == (None,) * 3


@pytest.mark.parametrize(
    "changes",
    [
        {"first_factors": ("totp",)},  # a code cannot say who is signing in
        {"first_factors": ()},
        {"second_factors": ("sms",)},
    ],
)
def test_a_sign_in_policy_names_known_methods_in_their_roles(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidClientMetadata):
        register_client(request(**changes), NOW)
