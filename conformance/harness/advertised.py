"""Plans whose features a deployment may not offer: each module checks the feature when the
discovery document advertises it and is skipped, saying so, when it does not."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from conformance.harness.outcome import NOT_ADVERTISED, PassedWithNote, check, module, skip
from conformance.harness.rp import Flow, RelyingParty

NO_SEEDED_CLIENT = (
    "advertised, but the seed registered no client for it: run conformance.seed again"
)


def _client_for(rp: RelyingParty, response_type: str) -> str:
    if not rp.advertises("response_types_supported", response_type):
        skip(NOT_ADVERTISED)
    for role, client in rp.seed["clients"].items():
        if response_type in client.get("response_types", []):
            return str(role)
    skip(NO_SEEDED_CLIENT)


async def _front_flow(rp: RelyingParty, response_type: str) -> dict[str, Any]:
    """Implicit and hybrid (Core §3.2, §3.3): fragment by default, nonce required, hashes."""
    role = _client_for(rp, response_type)
    # No code, no PKCE: code_challenge belongs to code-bearing responses only (RFC 7636 §4.3).
    no_code = "code" not in response_type.split()
    pkce_off: dict[str, str | None] = {"code_challenge": None, "code_challenge_method": None}
    request = rp.request(role, response_type=response_type, **(pkce_off if no_code else {}))
    visit = await rp.authorize(request)
    params = visit.arrival.params
    check("error" not in params, f"error {params.get('error')}: {params.get('error_description')}")
    check(visit.arrival.mode == "fragment", f"answered by {visit.arrival.mode}, not fragment")
    if "id_token" in response_type.split():
        rp.verify(
            request,
            params.get("id_token", ""),
            access_token=params.get("access_token"),
            code=params.get("code"),
            hashes_required=True,
        )
    if "code" in response_type.split():
        await rp.complete(request, visit)
    return params


@module("oidcc-server", "implicit")
async def implicit_id_token_token(rp: RelyingParty) -> None:
    await _front_flow(rp, "id_token token")


@module("oidcc-server-id-token", "implicit")
async def implicit_id_token(rp: RelyingParty) -> None:
    await _front_flow(rp, "id_token")


@module("oidcc-server", "hybrid")
async def hybrid_code_id_token(rp: RelyingParty) -> None:
    await _front_flow(rp, "code id_token")


@module("oidcc-server-code-token", "hybrid")
async def hybrid_code_token(rp: RelyingParty) -> None:
    await _front_flow(rp, "code token")


@module("oidcc-server-code-id-token-token", "hybrid")
async def hybrid_code_id_token_token(rp: RelyingParty) -> None:
    await _front_flow(rp, "code id_token token")


@module("oidcc-registration", "dynamic")
async def dynamic_registration(rp: RelyingParty) -> None:
    """DCR 1.0 §3: register, run a code flow with the new client, read it back (RFC 7592)."""
    if not rp.advertises("registration_endpoint"):
        skip(NOT_ADVERTISED)
    metadata = {
        "redirect_uris": [rp.redirect_uri()],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "client_name": "conformance dynamic",
    }
    answer = await rp.http.post(rp.endpoint("registration_endpoint"), json=metadata)
    if answer.status_code in (401, 403):
        skip("registration needs an initial access token here (CIAM_CLIENT_REGISTRATION=open)")
    check(answer.status_code == 201, f"registration {answer.status_code}: {answer.text}")
    client = answer.json()
    check(client.get("client_id") and client.get("client_secret"), "no client_id/secret")
    rp.seed["clients"]["dynamic"] = {
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "token_endpoint_auth_method": "client_secret_basic",
        "id_token_signed_response_alg": client.get("id_token_signed_response_alg", "RS256"),
    }
    await rp.code_flow(role="dynamic")
    bad = await rp.http.post(
        rp.endpoint("registration_endpoint"), json={**metadata, "redirect_uris": ["not a uri"]}
    )
    check(bad.status_code == 400, f"invalid redirect URI accepted: {bad.status_code}")
    check(bad.json().get("error") == "invalid_redirect_uri", f"error {bad.json().get('error')}")
    uri, token = client.get("registration_client_uri"), client.get("registration_access_token")
    if uri and token:
        read = await rp.http.get(uri, headers={"Authorization": f"Bearer {token}"})
        check(read.status_code == 200, f"RFC 7592 read {read.status_code}")


@module("oidcc-3rd-party-init-login", "3rdparty")
async def third_party_init_login(rp: RelyingParty) -> None:
    """The suite, told at its initiate_login_uri to sign in (Core §4), starts a code flow with
    the login_hint it was given; the provider only has to honour that request."""
    async with rp.stranger() as stranger:
        request = rp.request(login_hint=rp.seed["user"]["email"])
        await rp.complete(request, await rp.authorize(request, stranger))


async def _signed_in_with(rp: RelyingParty, role: str, session_supported: str) -> Flow:
    flow = await rp.code_flow(role=role)
    if rp.advertises(session_supported):
        check(flow.claims.get("sid"), "no sid in the ID token (Front/Back-Channel Logout §2.1)")
    return flow


@module("oidcc-frontchannel-rp-initiated-logout", "frontchannel")
async def frontchannel_logout(rp: RelyingParty) -> None:
    """Front-Channel Logout 1.0 §2, §3: the provider's logged-out page loads the client's
    frontchannel_logout_uri with iss and sid."""
    if not rp.advertises("frontchannel_logout_supported"):
        skip(NOT_ADVERTISED)
    role = "client_frontchannel"
    uri = rp.client(role).get("frontchannel_logout_uri")
    if not uri:
        skip(NO_SEEDED_CLIENT)
    flow = await _signed_in_with(rp, role, "frontchannel_logout_session_supported")
    hint = urlencode({"id_token_hint": flow.tokens["id_token"]})
    arrival = await rp.person.open_and_wait(f"{rp.endpoint('end_session_endpoint')}?{hint}", uri)
    # §2: iss and sid are added when the client registered frontchannel_logout_session_required.
    if rp.client(role).get("frontchannel_logout_session_required"):
        check(arrival.params.get("iss") == rp.issuer, f"iss missing in {arrival.url}")
        check(arrival.params.get("sid") == flow.claims["sid"], "sid is not the ID token's")


@module("oidcc-backchannel-rp-initiated-logout", "backchannel")
async def backchannel_logout(rp: RelyingParty) -> None:
    """Back-Channel Logout 1.0: the provider POSTs the logout token to the suite's URL, which
    this harness cannot receive (tests/spec cover delivery); it checks the rest."""
    if not rp.advertises("backchannel_logout_supported"):
        skip(NOT_ADVERTISED)
    role = "client_backchannel"
    if not rp.client(role).get("backchannel_logout_uri"):
        skip(NO_SEEDED_CLIENT)
    flow = await _signed_in_with(rp, role, "backchannel_logout_session_supported")
    hint = urlencode({"id_token_hint": flow.tokens["id_token"]})
    await rp.person.page.goto(f"{rp.endpoint('end_session_endpoint')}?{hint}")
    await rp.person.confirm_sign_out_if_asked()
    visit = await rp.authorize(rp.request(prompt="none"), may_sign_in=False)
    check(visit.arrival.params.get("error") == "login_required", "still signed in")
    raise PassedWithNote("logout token delivery to the suite's URL not observed here")
