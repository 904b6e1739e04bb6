"""ID token claim checks (OpenID Connect Core §3.1.3.7) that need no signature to show."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from ciam_oidc.authn.upstreams import UpstreamError
from ciam_oidc.federation.discovery import fits_issuer
from ciam_oidc.federation.id_token import Expected, check_claims, signing_header
from tests.support.clock import START

GOOGLE = "https://accounts.google.com"
TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"
EXPECTED = Expected(GOOGLE, "client-1", "nonce-1", START, ("accounts.google.com",))


def claims(**changes: Any) -> dict[str, Any]:
    now = int(START.timestamp())
    values = {"iss": GOOGLE, "aud": "client-1", "sub": "1", "nonce": "nonce-1"}
    return {**values, "iat": now, "exp": now + 300, **changes}


def test_a_known_alias_of_the_issuer_is_reported_as_the_issuer() -> None:
    assert check_claims(claims(iss="accounts.google.com"), EXPECTED) == GOOGLE


def test_tenant_template_is_filled_from_the_tokens_tid() -> None:
    tenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
    expected = Expected(TEMPLATE, "client-1", "nonce-1", START)
    issuer = TEMPLATE.replace("{tenantid}", tenant)

    assert check_claims(claims(iss=issuer, tid=tenant), expected) == issuer
    with pytest.raises(UpstreamError):
        check_claims(claims(iss=issuer), expected)  # no tid
    with pytest.raises(UpstreamError):
        check_claims(claims(iss=TEMPLATE, tid="{tenantid}"), expected)


def test_clock_skew_within_the_leeway_is_tolerated() -> None:
    skewed = replace(EXPECTED, now=START + timedelta(seconds=330))

    assert check_claims(claims(), skewed) == GOOGLE
    with pytest.raises(UpstreamError, match="expired"):
        check_claims(claims(), replace(EXPECTED, now=START + timedelta(minutes=7)))


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": "tomorrow"},
        {"iat": None},
        {"sub": ""},
        {"sub": "x" * 256},
        {"aud": ["client-1", "other"]},
        {"aud": ["client-1"], "azp": "other"},
        {"nonce": "NONCE-1"},
    ],
)
def test_malformed_claims_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(UpstreamError):
        check_claims({k: v for k, v in claims(**changes).items() if v is not None}, EXPECTED)


@pytest.mark.parametrize(
    "header", ["eyJhbGciOiJub25lIn0", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJSUzM4NCJ9"]
)
def test_only_asymmetric_algorithms_we_list_are_considered(header: str) -> None:
    """none, HS256 and RS384 headers are refused before any key is looked up."""
    with pytest.raises(UpstreamError, match="alg"):
        signing_header(f"{header}.e30.c2ln")


def test_iss_parameter_fits_a_tenant_template_only_with_a_tenant_id() -> None:
    assert fits_issuer(TEMPLATE, "https://login.microsoftonline.com/contoso-1/v2.0")
    assert not fits_issuer(TEMPLATE, "https://login.microsoftonline.com/a/b/v2.0")
    assert not fits_issuer(TEMPLATE, "https://evil.example/contoso/v2.0")
    assert fits_issuer(GOOGLE, GOOGLE)
    assert not fits_issuer(GOOGLE, "accounts.google.com")
