"""UpstreamClients against real upstreams on loopback: what a sign-in through an upstream must
prove (OpenID Connect Core §3.1.3.7, RFC 6749 §10.12, RFC 7636, RFC 9207), and how each
way it can fail is reported."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from ciam_oidc.authn.upstreams import (
    Upstream,
    UpstreamError,
    UpstreamFailure,
    UpstreamIdentity,
    UpstreamRequest,
)
from ciam_oidc.crypto.keyring import utc_now
from ciam_oidc.federation.client import UpstreamClients
from ciam_oidc.federation.presets import configure
from tests.support.smtp import unused_port
from tests.support.upstreams import (
    FakeGitHub,
    FakeOidcUpstream,
    callback_params,
    fake_github,
    fake_oidc_upstream,
)

__all__ = ["fake_github", "fake_oidc_upstream"]

CLIENT_ID = "ciam-at-upstream"
SECRET = "upstream-client-secret-0123456789"
REDIRECT_URI = "http://127.0.0.1:8000/federation/corp/callback"


@pytest.fixture
async def clients() -> AsyncIterator[UpstreamClients]:
    clients = UpstreamClients(timeout=5, metadata_ttl=3600, clock=utc_now)
    yield clients
    await clients.aclose()


@pytest.fixture
def upstream(fake_oidc_upstream: FakeOidcUpstream) -> FakeOidcUpstream:
    fake_oidc_upstream.register_client(CLIENT_ID, SECRET, REDIRECT_URI)
    return fake_oidc_upstream


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.register_client(CLIENT_ID, SECRET, REDIRECT_URI)
    return fake_github


def corp(issuer: str, preset: str = "oidc", **choices: Any) -> Upstream:
    settings: dict[str, Any] = {"client_secret": SECRET, "name": "Corp", **choices}
    return configure(
        preset, id="corp", client_id=CLIENT_ID, issuer=issuer, now=utc_now(), **settings
    )


def at_github(fake: FakeGitHub, secret: str = SECRET) -> Upstream:
    return configure(
        "github",
        id="corp",
        client_id=CLIENT_ID,
        client_secret=secret,
        authorization_endpoint=fake.authorization_endpoint,
        token_endpoint=fake.token_endpoint,
        userinfo_endpoint=fake.userinfo_endpoint,
        now=utc_now(),
    )


def new_request() -> UpstreamRequest:
    return UpstreamRequest(
        state=secrets.token_urlsafe(16),
        nonce=secrets.token_urlsafe(16),
        code_verifier=secrets.token_urlsafe(48),
        redirect_uri=REDIRECT_URI,
    )


async def sign_in(
    clients: UpstreamClients,
    upstream: Upstream,
    request: UpstreamRequest | None = None,
    tampered: Mapping[str, str | None] | None = None,
) -> UpstreamIdentity:
    """Send the browser to the upstream and come back with what it answered; `tampered`
    replaces (or, with None, removes) callback parameters on the way."""
    request = request or new_request()
    params = await callback_params(await clients.authorization_url(upstream, request))
    for name, value in (tampered or {}).items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return await clients.finish(upstream, request, params)


async def refused(
    clients: UpstreamClients, upstream: Upstream, **tampered: str | None
) -> UpstreamFailure:
    with pytest.raises(UpstreamError) as caught:
        await sign_in(clients, upstream, tampered=tampered)
    return caught.value.failure


async def test_sign_in_through_an_oidc_upstream_proves_the_person(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.person.update(amr=["pwd", "mfa"], acr="urn:example:loa:2")

    identity = await sign_in(clients, corp(upstream.issuer))

    assert (identity.issuer, identity.subject) == (upstream.issuer, upstream.person["sub"])
    assert (identity.email, identity.email_verified) == (upstream.person["email"], True)
    assert identity.claims == {
        "name": "Jane Doe",
        "given_name": "Jane",
        "family_name": "Doe",
        "locale": "en",
    }
    assert (identity.amr, identity.acr) == (("pwd", "mfa"), "urn:example:loa:2")


async def test_an_upstream_signing_with_es256(clients: UpstreamClients) -> None:
    with FakeOidcUpstream(alg="ES256") as upstream:
        upstream.register_client(CLIENT_ID, SECRET, REDIRECT_URI)

        identity = await sign_in(clients, corp(upstream.issuer))

    assert identity.subject == upstream.person["sub"]


async def test_email_missing_from_the_id_token_comes_from_userinfo(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.id_token_overrides = {"email": None, "email_verified": None}

    identity = await sign_in(clients, corp(upstream.issuer))

    assert (identity.email, identity.email_verified) == (upstream.person["email"], True)


async def test_userinfo_about_another_subject_is_refused(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.id_token_overrides = {"email": None}
    upstream.userinfo_overrides = {"sub": "someone-else"}

    assert await refused(clients, corp(upstream.issuer)) is UpstreamFailure.REJECTED


async def test_unverified_email_stays_unverified_unless_the_operator_trusts_it(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.person.pop("email_verified")

    untrusted = await sign_in(clients, corp(upstream.issuer))
    trusted = await sign_in(clients, corp(upstream.issuer, trust_email=True))

    assert (untrusted.email, untrusted.email_verified) == (upstream.person["email"], False)
    assert trusted.email_verified is True


async def test_client_secret_post_when_that_is_all_the_upstream_offers(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.metadata_overrides = {"token_endpoint_auth_methods_supported": ["client_secret_post"]}

    identity = await sign_in(clients, corp(upstream.issuer))

    assert identity.subject == upstream.person["sub"]


async def test_a_response_with_another_state_is_refused(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    failure = await refused(clients, corp(upstream.issuer), state="forged-state")

    assert failure is UpstreamFailure.REJECTED
    assert upstream.token_requests == 0  # the code is never redeemed


async def test_an_id_token_minted_for_another_sign_in_is_refused(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    """A nonce is ours for one sign-in only, so an ID token carrying another sign-in's
    (replayed, or injected along with a stolen code) does not match."""
    upstream.id_token_overrides = {"nonce": new_request().nonce}

    assert await refused(clients, corp(upstream.issuer)) is UpstreamFailure.REJECTED


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"iss": "https://evil.example"}, id="another-issuer"),
        pytest.param({"aud": "another-client"}, id="another-audience"),
        pytest.param({"aud": [CLIENT_ID, "another-client"]}, id="several-audiences-no-azp"),
        pytest.param({"azp": "another-client"}, id="another-authorized-party"),
        pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
        pytest.param({"iat": int(time.time()) + 3600}, id="issued-in-the-future"),
        pytest.param({"nonce": None}, id="no-nonce"),
    ],
)
async def test_an_id_token_failing_a_claim_check_is_refused(
    clients: UpstreamClients, upstream: FakeOidcUpstream, overrides: dict[str, Any]
) -> None:
    upstream.id_token_overrides = overrides

    assert await refused(clients, corp(upstream.issuer)) is UpstreamFailure.REJECTED


async def test_several_audiences_are_accepted_when_azp_names_us(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.id_token_overrides = {"aud": [CLIENT_ID, "another-client"], "azp": CLIENT_ID}

    identity = await sign_in(clients, corp(upstream.issuer))

    assert identity.subject == upstream.person["sub"]


@pytest.mark.parametrize("signature", ["none", "HS256"])
async def test_an_unsigned_or_mac_signed_id_token_is_refused(
    clients: UpstreamClients, upstream: FakeOidcUpstream, signature: Any
) -> None:
    upstream.sign_next_with(signature)

    assert await refused(clients, corp(upstream.issuer)) is UpstreamFailure.REJECTED


async def test_rotated_upstream_keys_are_fetched_again_once(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    configured = corp(upstream.issuer)
    await sign_in(clients, configured)
    await sign_in(clients, configured)
    assert upstream.jwks_requests == 1  # cached for metadata_ttl

    upstream.rotate_keys()
    identity = await sign_in(clients, configured)
    await sign_in(clients, configured)

    assert identity.subject == upstream.person["sub"]
    assert upstream.jwks_requests == 2


async def test_sign_ins_meeting_a_new_key_together_share_one_refetch(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    configured = corp(upstream.issuer)
    await sign_in(clients, configured)
    upstream.rotate_keys()

    identities = await asyncio.gather(*(sign_in(clients, configured) for _ in range(3)))

    assert {identity.subject for identity in identities} == {upstream.person["sub"]}
    assert upstream.jwks_requests == 2


async def test_a_key_still_unknown_after_refetching_is_refused(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    configured = corp(upstream.issuer)
    await sign_in(clients, configured)
    upstream.sign_next_with("unpublished")

    assert await refused(clients, configured) is UpstreamFailure.REJECTED
    assert upstream.jwks_requests == 2


async def test_missing_iss_parameter_is_refused_when_the_upstream_promises_it(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    assert await refused(clients, corp(upstream.issuer), iss=None) is UpstreamFailure.REJECTED


async def test_iss_parameter_naming_another_upstream_is_refused(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    """RFC 9207 §2.4: a mix-up attack sends another upstream's response to our callback."""
    failure = await refused(clients, corp(upstream.issuer), iss="https://other-idp.example")

    assert failure is UpstreamFailure.REJECTED


async def test_no_iss_parameter_is_needed_from_an_upstream_that_does_not_promise_it(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.iss_parameter_supported = False

    identity = await sign_in(clients, corp(upstream.issuer))

    assert identity.subject == upstream.person["sub"]


async def test_discovery_naming_another_issuer_is_a_misconfiguration(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.metadata_overrides = {"issuer": "https://impostor.example"}

    with pytest.raises(UpstreamError) as caught:
        await clients.authorization_url(corp(upstream.issuer), new_request())

    assert caught.value.failure is UpstreamFailure.MISCONFIGURED


async def test_discovery_is_cached_for_the_metadata_ttl_only(
    upstream: FakeOidcUpstream,
) -> None:
    for ttl, expected_requests in ((3600, 1), (0, 2)):
        upstream.discovery_requests = 0
        clients = UpstreamClients(timeout=5, metadata_ttl=ttl, clock=utc_now)
        try:
            for _ in range(2):
                await clients.authorization_url(corp(upstream.issuer), new_request())
        finally:
            await clients.aclose()
        assert upstream.discovery_requests == expected_requests


async def test_a_code_is_redeemed_once(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    configured, request = corp(upstream.issuer), new_request()
    params = await callback_params(await clients.authorization_url(configured, request))
    await clients.finish(configured, request, params)

    with pytest.raises(UpstreamError) as caught:
        await clients.finish(configured, request, params)

    assert caught.value.failure is UpstreamFailure.REJECTED


async def test_declining_at_the_upstream_is_a_cancellation(
    clients: UpstreamClients, upstream: FakeOidcUpstream, github: FakeGitHub
) -> None:
    upstream.deny_next()
    github.deny_next()

    assert await refused(clients, corp(upstream.issuer)) is UpstreamFailure.CANCELLED
    assert await refused(clients, at_github(github)) is UpstreamFailure.CANCELLED


async def test_an_upstream_that_does_not_answer_is_unavailable(
    clients: UpstreamClients,
) -> None:
    gone = corp(f"http://127.0.0.1:{unused_port()}")

    with pytest.raises(UpstreamError) as caught:
        await clients.authorization_url(gone, new_request())

    assert caught.value.failure is UpstreamFailure.UNAVAILABLE


async def test_a_token_endpoint_in_trouble_is_unavailable(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    upstream.fail_token(503)

    assert await refused(clients, corp(upstream.issuer)) is UpstreamFailure.UNAVAILABLE


async def test_a_wrong_client_secret_is_a_misconfiguration(
    clients: UpstreamClients, upstream: FakeOidcUpstream, github: FakeGitHub
) -> None:
    wrong = "not-the-secret-0123456789"

    oidc_failure = await refused(clients, corp(upstream.issuer, client_secret=wrong))
    github_failure = await refused(clients, at_github(github, wrong))

    assert oidc_failure is github_failure is UpstreamFailure.MISCONFIGURED


async def test_microsoft_multi_tenant_issuer_is_checked_against_the_tokens_tenant(
    clients: UpstreamClients, upstream: FakeOidcUpstream
) -> None:
    """Microsoft's /common discovery names `.../{tenantid}/v2.0`; each ID token's `iss`
    must be that template filled with the token's own `tid`."""
    template = f"{upstream.issuer}/{{tenantid}}/v2.0"
    upstream.metadata_overrides = {"issuer": template}
    upstream.iss_parameter_supported = False
    microsoft = corp(upstream.issuer, preset="microsoft", name=None)
    tenant_issuer = f"{upstream.issuer}/0f1e2d3c-tenant/v2.0"

    upstream.id_token_overrides = {"iss": tenant_issuer, "tid": "0f1e2d3c-tenant"}
    identity = await sign_in(clients, microsoft)
    upstream.id_token_overrides = {"iss": tenant_issuer, "tid": "another-tenant"}

    assert identity.issuer == tenant_issuer
    assert await refused(clients, microsoft) is UpstreamFailure.REJECTED


async def test_github_identity_is_its_numeric_id_and_primary_verified_email(
    clients: UpstreamClients, github: FakeGitHub
) -> None:
    github.user["email"] = "public@octo.example"  # shown on the profile, never verified

    identity = await sign_in(clients, at_github(github))

    assert (identity.issuer, identity.subject) == ("https://github.com", str(github.user["id"]))
    assert (identity.email, identity.email_verified) == ("jane@octo.example", True)
    assert identity.claims == {"name": "Jane Octo"}


async def test_github_unverified_primary_email_gives_no_email(
    clients: UpstreamClients, github: FakeGitHub
) -> None:
    """Another verified address is not taken instead: the primary is the one the person
    chose, and it is not proven."""
    github.emails = [
        {"email": "old@octo.example", "primary": False, "verified": True, "visibility": None},
        {"email": "new@octo.example", "primary": True, "verified": False, "visibility": None},
    ]

    identity = await sign_in(clients, at_github(github))

    assert (identity.email, identity.email_verified) == (None, False)
