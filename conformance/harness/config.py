"""The Config OP plan (Discovery 1.0 §3, §4) and the kit's own consistency check."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from conformance.harness.outcome import check, module
from conformance.harness.rp import RelyingParty
from conformance.plans import PLANS

REQUIRED = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)
ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "end_session_endpoint",
)
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _secure(url: str, issuer: str) -> bool:
    """https everywhere (Discovery §3); plain http only for a loopback issuer under test."""
    if urlsplit(issuer).hostname in LOOPBACK:
        return urlsplit(url).scheme in ("http", "https")
    return urlsplit(url).scheme == "https"


@module("oidcc-discovery-endpoint-verification", "config")
async def discovery_endpoint_verification(rp: RelyingParty) -> None:
    document = rp.discovery
    missing = [name for name in REQUIRED if name not in document]
    check(not missing, f"discovery lacks {missing}")
    check(document["issuer"] == rp.issuer, f"issuer {document['issuer']!r} (Discovery §4.3)")
    check(_secure(rp.issuer, rp.issuer), "the issuer is not https")
    for name in ENDPOINTS:
        if name in document:
            check(_secure(document[name], rp.issuer), f"{name} is not https")
    check("code" in document["response_types_supported"], "response type code not supported")
    check("RS256" in document["id_token_signing_alg_values_supported"], "no RS256 (Core §15.1)")
    check("openid" in document.get("scopes_supported", ["openid"]), "scope openid missing")
    for name, value in document.items():
        if name.endswith("_supported") and name != "claims_parameter_supported":
            check(isinstance(value, (list, bool)), f"{name} is neither a list nor a boolean")
    check("check_session_iframe" not in document, "session management is not implemented")
    answer = await rp.http.get(document["jwks_uri"])
    check(answer.status_code == 200, f"jwks_uri answered {answer.status_code}")
    keys = answer.json().get("keys", [])
    check(keys and all("d" not in key for key in keys), "JWKS empty or holding private keys")
    for alg in document["id_token_signing_alg_values_supported"]:
        if alg != "none":
            check(any(key.get("alg") == alg for key in keys), f"no published key for {alg}")


@module("kit-configs-match-deployment", "config")
async def configs_match_deployment(rp: RelyingParty) -> None:
    """Every endpoint and client the filled configurations name exists here."""
    out = Path(rp.notes["seed_path"]).parent
    clients = {c["client_id"]: c for c in rp.seed["clients"].values()}
    for plan in PLANS:
        path = out / f"{plan.key}.json"
        check(path.exists(), f"{path} is missing: run python -m conformance.seed")
        config = json.loads(path.read_text())
        check(config["alias"] == rp.seed["aliases"][plan.key], f"{path}: alias")
        answer = await rp.http.get(config["server"]["discoveryUrl"])
        check(answer.status_code == 200, f"{path}: discoveryUrl answered {answer.status_code}")
        check(answer.json().get("issuer") == rp.issuer, f"{path}: discovery of another issuer")
        resource = config.get("resource", {}).get("resourceUrl")
        if resource is not None:
            check(resource == rp.discovery.get("userinfo_endpoint"), f"{path}: resourceUrl")
        for role in ("client", "client2", "client_secret_post"):
            if role in config:
                client_id = config[role]["client_id"]
                check(client_id in clients, f"{path}: {role} is not a seeded client")
                await _registered(rp, plan.key, client_id)


async def _registered(rp: RelyingParty, plan: str, client_id: str) -> None:
    """The provider knows the client and its redirect URI: the request reaches sign-in or the
    client, not the provider's error page."""
    request = rp.request(client_id=client_id, redirect_uri=rp.redirect_uri(plan))
    answer = await rp.http.get(rp.url(request))
    check(answer.status_code in (302, 303), f"{client_id} at {plan}: {answer.status_code}")
