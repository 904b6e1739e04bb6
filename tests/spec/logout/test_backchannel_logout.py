"""OpenID Connect Back-Channel Logout 1.0: logout tokens POSTed to a real listener, retried
after a failure, surviving a restart, never sent twice by two nodes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet

from ciam_oidc.app import Provider, build_provider, create_app
from ciam_oidc.authn.account import AccountSessions
from ciam_oidc.authn.logout_channels import BackChannelDelivery
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.fetch.logout_delivery import HttpLogoutTokenSender
from ciam_oidc.protocol.logout_tokens import BACKCHANNEL_LOGOUT_EVENT, LogoutTokenIssuer
from ciam_oidc.settings import Settings
from ciam_oidc.store.logout_deliveries import SqlLogoutDeliveryStore
from tests.spec.browser import Browser, authorization_params, id_token_claims, redeem, register_rp
from tests.spec.logout.conftest import ISSUER, signed_in_session
from tests.spec.logout.listener import BackChannelListener

BYE = "https://rp.example/bye"
NO_WAIT = (timedelta(0),) * 5


async def logout_claims(provider: Provider, token: str, client_id: str) -> dict[str, Any]:
    """BCL §2.6: what a relying party checks before it believes a logout token."""
    keys = KeySet.import_key_set(await provider.keyring.jwks())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    assert decoded.header["typ"] == "logout+jwt"
    claims = dict(decoded.claims)
    assert claims["iss"] == ISSUER
    assert claims["aud"] == client_id
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert "nonce" not in claims  # §2.4: so it can never pass for an ID token
    assert claims["jti"]
    assert 0 < claims["exp"] - claims["iat"] <= 120
    return claims


def worker(
    provider: Provider,
    retry_delays: tuple[timedelta, ...] = NO_WAIT,
    clock: Callable[[], datetime] = utc_now,
) -> BackChannelDelivery:
    """A delivery task like the server's, retrying at once, driven pass by pass."""
    return BackChannelDelivery(
        SqlLogoutDeliveryStore(provider.database),
        HttpLogoutTokenSender(),
        provider.clients,
        LogoutTokenIssuer(provider.keyring, ISSUER),
        clock,
        retry_delays=retry_delays,
    )


async def test_rp_initiated_logout_posts_a_logout_token_and_retries_after_a_failure(
    browser: Browser, app: FastAPI, alice: str, listener: BackChannelListener
) -> None:
    provider: Provider = app.state.provider
    rp = await register_rp(
        provider,
        post_logout_redirect_uris=(BYE,),
        backchannel_logout_uri=listener.uri,
        backchannel_logout_session_required=True,
    )
    done = await browser.consent(
        await browser.sign_in(await browser.authorize(authorization_params(rp)))
    )
    id_token = (await redeem(browser, rp, done))["id_token"]
    sid = (await id_token_claims(browser, id_token))["sid"]

    response = await browser.http.get(
        "/logout", params={"id_token_hint": id_token, "post_logout_redirect_uri": BYE}
    )
    assert response.headers["location"] == BYE  # the person does not wait for the RP

    # The server's own task: the first POST gets a 500, the retry (after 5 s) a 200.
    (token,) = await listener.wait_for(1, patience=20)
    assert len(listener.refused) == 1
    assert listener.content_types[-1] == "application/x-www-form-urlencoded"
    claims = await logout_claims(provider, token, rp.client_id)
    assert (claims["sub"], claims["sid"]) == (alice, sid)


async def test_a_delivery_left_by_a_stopped_process_is_sent_by_the_next(
    provider: Provider, settings: Settings, alice: str, listener: BackChannelListener
) -> None:
    rp = await register_rp(provider, backchannel_logout_uri=listener.uri)
    session = await signed_in_session(provider, alice, rp.client_id)
    await provider.logout.session_ended(alice, session.id)
    first = worker(provider)
    assert await first.deliver_due() == 0  # refused once; then this process stops
    await first.aclose()

    restarted = create_app(settings)  # a new process on the same database
    async with restarted.router.lifespan_context(restarted):
        (token,) = await listener.wait_for(1)
    assert len(listener.refused) == 1
    claims = await logout_claims(provider, token, rp.client_id)
    assert (claims["sub"], claims["sid"]) == (alice, session.id)


async def test_two_nodes_never_send_the_same_delivery(
    provider: Provider, settings: Settings, alice: str
) -> None:
    other_node = build_provider(settings)
    with BackChannelListener(failures=0) as listener:
        rp = await register_rp(provider, backchannel_logout_uri=listener.uri)
        for _ in range(8):
            session = await signed_in_session(provider, alice, rp.client_id)
            await provider.logout.session_ended(alice, session.id)
        nodes = [worker(provider), worker(other_node)]
        try:
            sent = await asyncio.gather(*(node.deliver_due() for node in nodes * 3))
        finally:
            for node in nodes:
                await node.aclose()
            await other_node.close()
        assert sum(sent) == 8
        assert len(listener.accepted) == len(set(listener.accepted)) == 8


async def test_a_delivery_is_given_up_after_the_last_retry(provider: Provider, alice: str) -> None:
    with BackChannelListener(failures=100) as listener:
        rp = await register_rp(provider, backchannel_logout_uri=listener.uri)
        session = await signed_in_session(provider, alice, rp.client_id)
        await provider.logout.session_ended(alice, session.id)
        node = worker(provider, retry_delays=(timedelta(0), timedelta(0)))
        try:
            for _ in range(5):
                await node.deliver_due()
        finally:
            await node.aclose()
        assert len(listener.refused) == 3  # the first attempt and two retries


async def test_a_token_too_old_to_be_accepted_is_signed_again_for_the_retry(
    provider: Provider, alice: str, listener: BackChannelListener
) -> None:
    rp = await register_rp(provider, backchannel_logout_uri=listener.uri)
    session = await signed_in_session(provider, alice, rp.client_id)
    await provider.logout.session_ended(alice, session.id)
    first = worker(provider)
    await first.deliver_due()  # refused
    await first.aclose()
    later = worker(provider, clock=lambda: utc_now() + timedelta(minutes=10))
    try:
        await later.deliver_due()  # the retry, ten minutes on
    finally:
        await later.aclose()
    (stale,), (fresh,) = listener.refused, listener.accepted
    stale_claims = await logout_claims(provider, stale, rp.client_id)
    fresh_claims = await logout_claims(provider, fresh, rp.client_id)
    assert fresh_claims["iat"] > stale_claims["iat"] + 500
    assert (fresh_claims["sub"], fresh_claims["sid"]) == (alice, session.id)


async def test_signing_out_a_browser_from_the_account_page_tells_its_clients(
    provider: Provider, alice: str
) -> None:
    with BackChannelListener() as listener:
        rp = await register_rp(provider, backchannel_logout_uri=listener.uri)
        other = await register_rp(provider, name="Not signed in there")
        current = await signed_in_session(provider, alice, other.client_id)
        elsewhere = await signed_in_session(provider, alice, rp.client_id)
        browsers = AccountSessions(
            provider.interactions.sessions, provider.audit, utc_now, provider.logout
        )
        assert await browsers.end_others(alice, current.id, ip=None) == 1
        node = worker(provider)
        try:
            await node.deliver_due()
        finally:
            await node.aclose()
        (token,) = listener.accepted
    claims = await logout_claims(provider, token, rp.client_id)
    assert claims["sid"] == elsewhere.id


async def test_a_client_without_a_back_channel_uri_is_not_sent_anything(
    provider: Provider, alice: str
) -> None:
    rp = await register_rp(provider)
    session = await signed_in_session(provider, alice, rp.client_id)
    assert await provider.logout.session_ended(alice, session.id) == ()
    node = worker(provider)
    try:
        assert await node.deliver_due() == 0
    finally:
        await node.aclose()


async def test_discovery_advertises_both_logout_channels_with_sessions(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        document = (await http.get("/.well-known/openid-configuration")).json()
    for name in ("frontchannel_logout", "backchannel_logout"):
        assert document[f"{name}_supported"] is True
        assert document[f"{name}_session_supported"] is True
    assert "check_session_iframe" not in document  # no session management
