"""The RP-Initiated Logout plan's modules (RP-Initiated Logout 1.0 §2, §3)."""

from __future__ import annotations

from urllib.parse import urlencode

from conformance.harness.browser import Visit
from conformance.harness.outcome import check, module
from conformance.harness.rp import RelyingParty

PLAN = "rp-logout"
QUERY_ADDED = "?foo=bar"


async def _signed_in_id_token(rp: RelyingParty) -> str:
    flow = await rp.code_flow()
    return str(flow.tokens["id_token"])


async def _log_out(rp: RelyingParty, **params: str) -> Visit:
    """Send the browser to the end_session endpoint; confirm when the provider asks."""
    url = f"{rp.endpoint('end_session_endpoint')}?{urlencode(params)}"
    rp.person.arrivals.clear()
    await rp.person.page.goto(url)
    await rp.person.confirm_sign_out_if_asked()
    return await rp.person.follow_without_signing_in()


async def _signed_out(rp: RelyingParty) -> None:
    """After logout, prompt=none must find no session (login_required)."""
    visit = await rp.authorize(rp.request(prompt="none"), may_sign_in=False)
    error = visit.arrival.params.get("error")
    check(error in ("login_required", "interaction_required"), f"still signed in ({error!r})")


async def _refused(rp: RelyingParty, bad_uri: str, **params: str) -> None:
    """§3: an unverified post_logout_redirect_uri is never followed."""
    url = f"{rp.endpoint('end_session_endpoint')}?{urlencode(params)}"
    answer = await rp.http.get(url)
    location = answer.headers.get("location", "")
    check(not location.startswith(bad_uri), f"redirected to {location}")
    check(answer.status_code < 500, f"answered {answer.status_code}")


@module("oidcc-rp-initiated-logout", PLAN)
async def rp_initiated_logout(rp: RelyingParty) -> None:
    hint = await _signed_in_id_token(rp)
    uri = rp.post_logout_uri()
    visit = await _log_out(rp, id_token_hint=hint, post_logout_redirect_uri=uri, state="s1")
    check(visit.arrival.url.split("?")[0] == uri, f"returned to {visit.arrival.url}")
    check(visit.arrival.params.get("state") == "s1", "state not returned (§3)")
    await _signed_out(rp)


@module("oidcc-rp-initiated-logout-bad-post-logout-redirect-uri", PLAN)
async def bad_post_logout_redirect_uri(rp: RelyingParty) -> None:
    hint = await _signed_in_id_token(rp)
    bad = rp.post_logout_uri() + "/not-registered"
    await _refused(rp, bad, id_token_hint=hint, post_logout_redirect_uri=bad, state="s2")


@module("oidcc-rp-initiated-logout-modified-id-token-hint", PLAN)
async def modified_id_token_hint(rp: RelyingParty) -> None:
    hint = await _signed_in_id_token(rp)
    header, payload, signature = hint.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    uri = rp.post_logout_uri()
    tampered = f"{header}.{payload}.{flipped}"
    await _refused(rp, uri, id_token_hint=tampered, post_logout_redirect_uri=uri, state="s3")


@module("oidcc-rp-initiated-logout-no-id-token-hint", PLAN)
async def no_id_token_hint(rp: RelyingParty) -> None:
    await _signed_in_id_token(rp)
    uri = rp.post_logout_uri()
    client_id = rp.client()["client_id"]
    visit = await _log_out(rp, client_id=client_id, post_logout_redirect_uri=uri, state="s4")
    check(visit.arrival.params.get("state") == "s4", "state not returned (§3)")
    await _signed_out(rp)


@module("oidcc-rp-initiated-logout-no-params", PLAN)
async def no_params(rp: RelyingParty) -> None:
    await _signed_in_id_token(rp)
    page = rp.person.page
    answer = await page.goto(rp.endpoint("end_session_endpoint"))
    check(answer is not None and answer.status < 400, "end_session without parameters refused")
    await rp.person.confirm_sign_out_if_asked()
    await _signed_out(rp)


@module("oidcc-rp-initiated-logout-no-state", PLAN)
async def no_state(rp: RelyingParty) -> None:
    hint = await _signed_in_id_token(rp)
    uri = rp.post_logout_uri()
    visit = await _log_out(rp, id_token_hint=hint, post_logout_redirect_uri=uri)
    check(visit.arrival.url == uri, f"returned to {visit.arrival.url}, not exactly {uri}")
    await _signed_out(rp)


@module("oidcc-rp-initiated-logout-query-added", PLAN)
async def query_added(rp: RelyingParty) -> None:
    hint = await _signed_in_id_token(rp)
    uri = rp.post_logout_uri() + QUERY_ADDED
    visit = await _log_out(rp, id_token_hint=hint, post_logout_redirect_uri=uri, state="s5")
    params = visit.arrival.params
    check(params.get("foo") == "bar", "the registered query was dropped (§3)")
    check(params.get("state") == "s5", "state not returned (§3)")
    await _signed_out(rp)
