"""Pairwise subject identifiers (OpenID Connect Core §8): a pairwise client sees its own `sub`
for a person, the same in every token and answer it gets, and clients of other sectors see
another; clients sharing a sector_identifier_uri see the same. Public clients are unchanged."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from ciam_oidc.app import Provider
from tests.spec.browser import (
    Browser,
    RelyingParty,
    add_customer,
    authorization_params,
    callback_params,
    redeem,
    register_rp,
)
from tests.spec.issued_tokens import (
    Party,
    introspect,
    refresh,
    user_tokens,
    userinfo,
    web_client,
)

SECTOR_URI = "https://sector.example/redirect_uris.json"


def payload(token: str) -> dict[str, Any]:
    encoded = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    )
    return claims


async def pairwise_client(provider: Provider, **changes: object) -> Party:
    return await web_client(provider, subject_type="pairwise", **changes)


async def id_token_sub(http: httpx.AsyncClient, provider: Provider, party: Party, sub: str) -> str:
    tokens = await user_tokens(http, provider, party, sub, "openid")
    return str(payload(tokens["id_token"])["sub"])


async def test_every_sub_a_pairwise_client_sees_is_the_same_and_not_the_account_id(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    shop = await pairwise_client(provider)
    tokens = await user_tokens(http, provider, shop, sub, "openid email offline_access")
    seen = payload(tokens["id_token"])["sub"]

    info = await userinfo(http, tokens["access_token"])
    access = await introspect(http, shop, tokens["access_token"])
    refreshed = await introspect(http, shop, tokens["refresh_token"])
    renewed = (await refresh(http, shop, tokens["refresh_token"])).json()

    assert seen != sub
    assert info.status_code == 200, info.text
    # Core §5.3.2: the UserInfo sub MUST equal the ID token's.
    assert info.json() == {"sub": seen, "email": "alice@example.com", "email_verified": True}
    assert payload(tokens["access_token"])["sub"] == seen  # RFC 9068 §2.2
    assert access.json()["sub"] == refreshed.json()["sub"] == seen  # RFC 7662 §2.2
    assert payload(renewed["id_token"])["sub"] == seen  # Core §12.2: the same sub


async def test_a_pairwise_token_does_not_carry_the_account_id_in_clear(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    shop = await pairwise_client(provider)
    tokens = await user_tokens(http, provider, shop, sub, "openid email offline_access")

    for token in (tokens["access_token"], tokens["id_token"]):
        assert sub not in json.dumps(payload(token))


async def test_the_pairwise_sub_is_stable_across_authorizations(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    shop = await pairwise_client(provider)

    first = await id_token_sub(http, provider, shop, sub)
    assert await id_token_sub(http, provider, shop, sub) == first


async def test_clients_of_different_sectors_see_different_subs_for_one_person(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    shop = await pairwise_client(provider)  # https://rp.example/cb
    other = await pairwise_client(provider, redirect_uris=("https://other.example/cb",))

    seen_by_shop = await id_token_sub(http, provider, shop, sub)
    seen_by_other = await id_token_sub(http, provider, other, sub)

    assert len({seen_by_shop, seen_by_other, sub}) == 3


async def test_clients_of_one_sector_host_see_the_same_sub(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    """Core §8.1: without a sector_identifier_uri the sector is the redirect URIs' host."""
    shop = await pairwise_client(provider)
    sibling = await pairwise_client(provider, redirect_uris=("https://rp.example/other-cb",))

    assert await id_token_sub(http, provider, shop, sub) == await id_token_sub(
        http, provider, sibling, sub
    )


async def test_clients_sharing_a_sector_identifier_uri_see_the_same_sub(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    shop = await pairwise_client(provider, sector_identifier_uri=SECTOR_URI)
    other = await pairwise_client(
        provider,
        redirect_uris=("https://other.example/cb",),
        sector_identifier_uri=SECTOR_URI,
    )
    unrelated = await pairwise_client(provider)  # same host as shop, but no shared sector

    seen = await id_token_sub(http, provider, shop, sub)
    assert await id_token_sub(http, provider, other, sub) == seen
    assert await id_token_sub(http, provider, unrelated, sub) != seen


async def test_two_people_get_two_pairwise_subs(
    http: httpx.AsyncClient, provider: Provider, sub: str
) -> None:
    shop = await pairwise_client(provider)
    bob = await add_customer(provider, "bob@example.com")

    assert await id_token_sub(http, provider, shop, sub) != await id_token_sub(
        http, provider, shop, bob
    )


async def test_a_public_client_sees_the_account_id_everywhere(
    http: httpx.AsyncClient, provider: Provider, rp: Party, sub: str
) -> None:
    tokens = await user_tokens(http, provider, rp, sub, "openid offline_access")

    assert payload(tokens["id_token"])["sub"] == sub
    assert payload(tokens["access_token"])["sub"] == sub
    assert (await userinfo(http, tokens["access_token"])).json()["sub"] == sub
    assert (await introspect(http, rp, tokens["refresh_token"])).json()["sub"] == sub


async def test_discovery_advertises_both_subject_types(http: httpx.AsyncClient) -> None:
    document = (await http.get("/.well-known/openid-configuration")).json()

    assert document["subject_types_supported"] == ["public", "pairwise"]


async def test_a_pairwise_id_token_hint_names_the_signed_in_person(
    browser: Browser, provider: Provider
) -> None:
    """Core §3.1.2.1: with prompt=none, a hint for the signed-in person passes, although the
    pairwise `sub` in it is not the account id; and it proves who signs out (no confirmation)."""
    await add_customer(provider)
    rp = await register_rp(provider, subject_type="pairwise", first_party=True)
    done = await browser.sign_in(await browser.authorize(authorization_params(rp)))
    hint = (await redeem(browser, rp, done))["id_token"]

    again = await browser.authorize(authorization_params(rp, prompt="none", id_token_hint=hint))
    assert "code" in callback_params(again)
    out = await browser.http.get("/logout", params={"id_token_hint": hint})
    assert 'name="confirm"' not in out.text
    assert not await signed_in_still(browser, rp)


async def signed_in_still(browser: Browser, rp: RelyingParty) -> bool:
    response = await browser.authorize(authorization_params(rp, prompt="none"))
    return "code" in callback_params(response)
