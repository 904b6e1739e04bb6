"""What `configure` makes of a preset and an operator's choices, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ciam_oidc.authn.upstreams import Upstream, UpstreamKind
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.federation.presets import PRESETS, InvalidUpstream, configure


def pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


APPLE_KEY = pem(ec.generate_private_key(ec.SECP256R1()))


def configured(preset: str, **choices: Any) -> Upstream:
    values: dict[str, Any] = {"client_id": "our-client", "client_secret": "s3cret", **choices}
    return configure(preset, id=values.pop("id", "idp"), now=utc_now(), **values)


def refusal(preset: str, **choices: Any) -> str:
    with pytest.raises(InvalidUpstream) as caught:
        configured(preset, **choices)
    return str(caught.value)


def apple(**choices: Any) -> Upstream:
    values: dict[str, Any] = {
        "client_secret": None,
        "private_key": APPLE_KEY,
        "options": {"team_id": "TEAM123456", "key_id": "KEY1234567"},
        **choices,
    }
    return configured("apple", **values)


def test_google_needs_only_its_client() -> None:
    google = configured("google")

    assert (google.kind, google.issuer, google.name) == (
        UpstreamKind.OIDC,
        "https://accounts.google.com",
        "Google",
    )
    assert google.scopes == ("openid", "email", "profile")
    assert google.authorization_endpoint is None  # from discovery


def test_microsoft_issuer_names_the_chosen_tenant() -> None:
    assert configured("microsoft").issuer == "https://login.microsoftonline.com/common/v2.0"
    assert (
        configured("microsoft", options={"tenant": "contoso.onmicrosoft.com"}).issuer
        == "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
    )
    assert "tenant" in refusal("microsoft", options={"tenant": "../evil"})


def test_apple_signs_its_secret_with_the_team_key() -> None:
    upstream = apple()

    assert (upstream.issuer, upstream.client_secret) == ("https://appleid.apple.com", None)
    assert upstream.scopes == ("name", "email")
    assert "private key" in refusal("apple", client_secret=None, options=apple().options)
    assert "team_id" in refusal(
        "apple", client_secret=None, private_key=APPLE_KEY, options={"key_id": "K"}
    )
    with pytest.raises(InvalidUpstream, match="EC key"):
        apple(private_key=pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    with pytest.raises(InvalidUpstream, match="P-256"):
        apple(private_key=pem(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(InvalidUpstream, match="private key"):
        apple(client_secret="a-fixed-secret")


def test_github_defaults_and_explicit_endpoints_over_them() -> None:
    github = configured("github")
    local = configured(
        "github",
        authorization_endpoint="http://127.0.0.1:9000/login/oauth/authorize",
        token_endpoint="http://127.0.0.1:9000/login/oauth/access_token",
        userinfo_endpoint="http://127.0.0.1:9000/user",
    )

    assert (github.kind, github.issuer) == (UpstreamKind.OAUTH2, "https://github.com")
    assert github.userinfo_endpoint == "https://api.github.com/user"
    assert github.claim_map == {"sub": "id"}
    assert local.userinfo_endpoint == "http://127.0.0.1:9000/user"
    assert local.issuer == "https://github.com"  # identities keep GitHub's identifier


def test_facebook_email_is_trusted_by_default_and_the_operator_can_say_otherwise() -> None:
    assert configured("facebook").trust_email is True
    assert configured("facebook", trust_email=False).trust_email is False
    assert configured("google").trust_email is False


def test_claim_map_adds_to_the_presets() -> None:
    facebook = configured("facebook", claim_map={"locale": "locale_code"})

    assert facebook.claim_map["sub"] == "id"
    assert facebook.claim_map["locale"] == "locale_code"


def test_generic_presets_need_what_no_preset_supplies() -> None:
    assert "name" in refusal("oidc", issuer="https://idp.example")
    assert "issuer" in refusal("oidc", name="Corp")
    assert "endpoint" in refusal("oauth2", name="Corp", issuer="https://idp.example")
    corp = configured("oidc", name="Corp", issuer="https://idp.example")
    assert corp.scopes == ("openid", "email", "profile")


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"id": "Not An Id"}, "id"),
        ({"client_id": ""}, "client id"),
        ({"client_secret": None}, "client secret"),
        ({"private_key": APPLE_KEY}, "private key"),
        ({"issuer": "http://idp.example"}, "https"),
        ({"icon_uri": "http://cdn.example/icon.svg"}, "https"),
        ({"issuer": "https://idp.example?tenant=1"}, "query"),
        ({"jwks_uri": "not a url"}, "jwks_uri"),
        ({"scopes": ["openid", "bad\\scope"]}, "scope"),
        ({"claim_map": {"password": "pw"}}, "password"),
        ({"claim_map": {"sub": "email"}}, "sub"),
        ({"options": {"tenant": "x"}}, "option"),
        ({"name": ""}, "name"),
    ],
)
def test_unusable_configurations_are_refused_with_a_reason(
    choices: dict[str, Any], message: str
) -> None:
    assert message in refusal(
        "oidc", **{"name": "Corp", "issuer": "https://idp.example", **choices}
    )


def test_loopback_upstreams_may_use_http() -> None:
    for host in ("localhost", "127.0.0.1", "[::1]"):
        assert configured("oidc", name="Dev", issuer=f"http://{host}:9000").issuer


def test_an_unknown_preset_lists_the_known_ones() -> None:
    message = refusal("myspace")

    assert all(preset in message for preset in PRESETS)
