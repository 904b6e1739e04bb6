"""Run the reproduced modules against a deployment: one line per module, then a summary.

    python -m conformance.harness --issuer URL --seed conformance-out/seed.json [--plan KEY]

Exit status 1 when any module FAILs, 0 otherwise (SKIPs say why on their line).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import async_playwright

from conformance.harness import advertised, basic, config, logout
from conformance.harness.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_S, Person
from conformance.harness.outcome import MODULES, Module, Outcome
from conformance.harness.rp import RelyingParty

# Importing registers the modules; this order is the order they run and print in.
GROUPS = (config, basic, logout, advertised)
PLAN_ORDER = (
    "config",
    "basic",
    "formpost",
    "rp-logout",
    "implicit",
    "hybrid",
    "dynamic",
    "3rdparty",
    "frontchannel",
    "backchannel",
)


def selected(plans: Sequence[str] | None) -> list[Module]:
    chosen = [m for m in MODULES if plans is None or m.plan in plans]
    return sorted(chosen, key=lambda m: PLAN_ORDER.index(m.plan))


async def run(
    issuer: str,
    seed: dict[str, Any],
    seed_path: Path,
    plans: Sequence[str] | None,
    *,
    pkce: bool = True,
) -> list[Outcome]:
    outcomes = []
    async with httpx.AsyncClient(timeout=WAIT_S) as http, async_playwright() as playwright:
        discovery = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
        jwks = (await http.get(discovery["jwks_uri"])).json()
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=WAIT_S * 1000
        )
        user = seed["user"]
        person = await Person.open(browser, user["email"], user["password"], seed["suite"], issuer)
        rp = RelyingParty(issuer, seed, discovery, jwks, http, browser, person, pkce=pkce)
        rp.notes["seed_path"] = str(seed_path)
        for module in selected(plans):
            outcome = await module.run(rp)
            print(outcome.line(module.plan, module.name), flush=True)
            outcomes.append(outcome)
        await browser.close()
    counts = Counter(outcome.status for outcome in outcomes)
    print(
        f"{len(outcomes)} modules: {counts['PASS']} PASS, {counts['FAIL']} FAIL, "
        f"{counts['SKIP']} SKIP",
        flush=True,
    )
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.harness", description=__doc__)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--seed", type=Path, required=True, help="seed.json of conformance.seed")
    parser.add_argument("--plan", action="append", choices=PLAN_ORDER, help="only these plans")
    parser.add_argument(
        "--without-pkce",
        action="store_true",
        help="send code-flow requests without PKCE, exactly as the suite's oidcc plans do",
    )
    args = parser.parse_args(argv)
    seed = json.loads(args.seed.read_text())
    issuer = args.issuer.rstrip("/")
    outcomes = asyncio.run(run(issuer, seed, args.seed, args.plan, pkce=not args.without_pkce))
    return 1 if any(outcome.status == "FAIL" for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
