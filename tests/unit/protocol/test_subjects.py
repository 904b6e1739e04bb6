"""Pairwise subject identifiers (OpenID Connect Core §8.1) and the sealed account reference a
pairwise access token carries instead of the account id."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ciam_oidc.crypto.derived_keys import derive_key
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.errors import InvalidClientMetadata
from ciam_oidc.protocol.subjects import (
    PUBLIC_ONLY,
    PairwiseNotConfigured,
    Subjects,
    sector_identifier,
)

MASTER = b"m" * 32
SUBJECTS = Subjects(MASTER)
ACCOUNT = "8f14e45fceea167a5a36dedd4bea2543"
CLIENT = Client(
    client_id="shop",
    name="Shop",
    redirect_uris=("https://rp.example/cb", "https://rp.example/other"),
    post_logout_redirect_uris=(),
    grant_types=("authorization_code",),
    response_types=("code",),
    scope="openid",
    token_endpoint_auth_method="client_secret_basic",
    secret_digest=None,
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    subject_type="pairwise",
)


def test_the_pairwise_sub_is_the_hash_core_8_1_describes() -> None:
    salt = derive_key(MASTER, "pairwise-subjects")
    digest = hashlib.sha256(b"rp.example" + ACCOUNT.encode() + salt).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    assert SUBJECTS.subject_for(CLIENT, ACCOUNT) == expected


def test_another_master_secret_gives_other_pairwise_subs() -> None:
    assert Subjects(b"n" * 32).subject_for(CLIENT, ACCOUNT) != SUBJECTS.subject_for(CLIENT, ACCOUNT)


def test_a_public_client_sees_the_account_id() -> None:
    public = replace(CLIENT, subject_type="public")
    assert SUBJECTS.subject_for(public, ACCOUNT) == ACCOUNT
    assert PUBLIC_ONLY.subject_for(public, ACCOUNT) == ACCOUNT


def test_without_the_master_secret_a_pairwise_client_is_refused_not_given_the_account_id() -> None:
    with pytest.raises(PairwiseNotConfigured):
        PUBLIC_ONLY.subject_for(CLIENT, ACCOUNT)


def test_the_sector_is_the_sector_identifier_uri_host_when_there_is_one() -> None:
    shared = replace(CLIENT, sector_identifier_uri="https://sector.example/uris.json")
    assert sector_identifier(shared) == "sector.example"
    assert sector_identifier(CLIENT) == "rp.example"


def test_redirect_uris_on_several_hosts_need_a_sector_identifier_uri() -> None:
    spread = replace(CLIENT, redirect_uris=("https://a.example/cb", "https://b.example/cb"))
    with pytest.raises(InvalidClientMetadata):
        sector_identifier(spread)


def test_names_recognises_the_sub_a_client_was_given_for_an_account() -> None:
    """An id_token_hint from a pairwise client carries its pairwise sub (Core §3.1.2.1)."""
    given = SUBJECTS.subject_for(CLIENT, ACCOUNT)
    assert SUBJECTS.names(CLIENT, ACCOUNT, given)
    assert not SUBJECTS.names(CLIENT, "another-account", given)
    assert not SUBJECTS.names(CLIENT, ACCOUNT, ACCOUNT)


def test_a_sealed_account_opens_only_for_the_token_it_was_sealed_for() -> None:
    sealed = SUBJECTS.seal_account(ACCOUNT, "jti-1")

    assert ACCOUNT not in sealed
    assert SUBJECTS.seal_account(ACCOUNT, "jti-1") != sealed  # unlinkable between tokens
    assert SUBJECTS.open_account(sealed, "jti-1") == ACCOUNT
    assert SUBJECTS.open_account(sealed, "jti-2") is None
    assert Subjects(b"n" * 32).open_account(sealed, "jti-1") is None
    assert SUBJECTS.open_account("not base64!", "jti-1") is None
    assert PUBLIC_ONLY.open_account(sealed, "jti-1") is None
