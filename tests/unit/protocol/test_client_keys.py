"""How long a client's jwks_uri set is kept (`ClientKeys`), on a clock the test moves; fetching
over HTTP, rotation and refusals are in tests/spec/rfc7523/test_jwks_uri.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from joserfc.jwk import ECKey

from ciam_oidc.protocol.client_keys import ClientKeys, ClientKeysUnavailable
from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.ports import FetchFailed

TTL = 300
URL = "https://rp.example/jwks.json"
KEY = ECKey.generate_key("P-256", parameters={"kid": "k1"})
JWKS = {"keys": [KEY.as_dict(private=False)]}
CLIENT = Client(
    client_id="job",
    name="Job",
    redirect_uris=(),
    post_logout_redirect_uris=(),
    grant_types=("client_credentials",),
    response_types=(),
    scope="",
    token_endpoint_auth_method="private_key_jwt",
    secret_digest=None,
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    jwks_uri=URL,
)


class Documents:
    """The DocumentFetcher port, answering from memory and counting requests."""

    def __init__(self) -> None:
        self.body = json.dumps(JWKS).encode()
        self.fetches = 0

    async def fetch(self, url: str) -> bytes:
        self.fetches += 1
        if not self.body:
            raise FetchFailed(f"{url} answered 404")
        return self.body


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_fetched_set_is_kept_for_the_ttl_then_fetched_again() -> None:
    documents, clock = Documents(), Clock()
    keys = ClientKeys(documents, TTL, clock)

    assert await keys.jwks(CLIENT) == JWKS
    clock.now += timedelta(seconds=TTL - 1)
    await keys.jwks(CLIENT)
    assert documents.fetches == 1
    clock.now += timedelta(seconds=1)
    await keys.jwks(CLIENT)
    assert documents.fetches == 2


async def test_refresh_fetches_a_fresh_copy_at_once() -> None:
    documents = Documents()
    keys = ClientKeys(documents, TTL, Clock())

    await keys.jwks(CLIENT)
    key_set = await keys.key_set(CLIENT, refresh=True)

    assert documents.fetches == 2
    assert [key.kid for key in key_set] == ["k1"]


async def test_keys_registered_by_value_need_no_fetch() -> None:
    documents = Documents()
    keys = ClientKeys(documents, TTL, Clock())

    assert await keys.jwks(replace(CLIENT, jwks=JWKS, jwks_uri=None)) == JWKS
    assert documents.fetches == 0


async def test_a_client_without_keys_or_a_failing_uri_has_no_keys() -> None:
    documents = Documents()
    keys = ClientKeys(documents, TTL, Clock())

    with pytest.raises(ClientKeysUnavailable):
        await keys.jwks(replace(CLIENT, jwks_uri=None))
    documents.body = b""
    with pytest.raises(ClientKeysUnavailable, match="answered 404"):
        await keys.jwks(CLIENT)
