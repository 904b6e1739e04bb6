"""The authentication context classes (`acr`, OpenID Connect Core §2) this provider reports,
and what a sign-in must have done, in RFC 8176 `amr` terms, to satisfy each.

A class is satisfied by what was done, never by what a client asked for: the `acr` in a token
is chosen among the classes the session's `amr` satisfies, so it cannot overstate a sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SINGLE_FACTOR = "1"
"""Any one factor (a password, an emailed link, a passkey)."""
MULTI_FACTOR = "2"
"""Two independent factors, or a passkey that verified the person (PIN or biometric)."""
PHISHING_RESISTANT = "phr"
"""OpenID EAP ACR Values 1.0 §2: a passkey, whose signature is bound to our origin."""
PHISHING_RESISTANT_HARDWARE = "phrh"
"""The same, with a key that cannot leave its device (not a synced passkey)."""

SUPPORTED = (SINGLE_FACTOR, MULTI_FACTOR, PHISHING_RESISTANT, PHISHING_RESISTANT_HARDWARE)

# NIST SP 800-63B §4: factors count as independent when they differ in kind.
_KINDS: Mapping[str, str] = {
    "pwd": "knowledge",
    "pin": "knowledge",
    "kba": "knowledge",
    "otp": "possession",
    "email": "possession",
    "sms": "possession",
    "tel": "possession",
    "hwk": "possession",
    "swk": "possession",
    "fpt": "inherence",
    "face": "inherence",
    "iris": "inherence",
}


def combined_amr(*parts: Iterable[str]) -> tuple[str, ...]:
    """The methods of several steps of one sign-in, with "mfa" when they add up to it."""
    steps = [tuple(part) for part in parts]
    amr = tuple(dict.fromkeys(value for step in steps for value in step if value != "mfa"))
    kinds = {_KINDS.get(value, value) for step in steps for value in _factors(step)}
    multi = any("mfa" in step for step in steps) or len(kinds) > 1
    return (*amr, "mfa") if multi else amr


def _factors(step: Sequence[str]) -> Sequence[str]:
    """The factors a step proves. A sign-in at an upstream identity provider ("fed", RFC 8176)
    counts as a factor of its own, unless the step lists the methods the upstream used:
    then those are its factors, and "fed" alongside a password is still one factor."""
    named = [value for value in step if value not in ("fed", "mfa")]
    return named or [value for value in step if value == "fed"]


def satisfies(acr: str, amr: Sequence[str]) -> bool:
    if acr == SINGLE_FACTOR:
        return bool(amr)
    if acr == MULTI_FACTOR:
        return "mfa" in amr
    if acr == PHISHING_RESISTANT:
        return "hwk" in amr or "swk" in amr
    if acr == PHISHING_RESISTANT_HARDWARE:
        return "hwk" in amr
    return False


def reported_acr(amr: Sequence[str], requested: Sequence[str]) -> str:
    """The first requested class the sign-in satisfies (Core §3.1.2.1 lists acr_values in order
    of preference), else the strongest of the two plain levels it reaches."""
    for acr in requested:
        if satisfies(acr, amr):
            return acr
    return MULTI_FACTOR if satisfies(MULTI_FACTOR, amr) else SINGLE_FACTOR


@dataclass(frozen=True)
class AcrRequirement:
    """What a request needs: each set in `required` must be met by one of its classes; the
    `preferred` classes are met where the person is able to."""

    required: tuple[frozenset[str], ...] = ()
    preferred: tuple[str, ...] = ()

    def unmet(self, amr: Sequence[str]) -> tuple[frozenset[str], ...]:
        return tuple(s for s in self.required if not any(satisfies(a, amr) for a in s))

    def preference_unmet(self, amr: Sequence[str]) -> bool:
        return bool(self.preferred) and not any(satisfies(a, amr) for a in self.preferred)

    @property
    def requested(self) -> tuple[str, ...]:
        """The classes to report in order of preference."""
        essential = [acr for classes in self.required for acr in sorted(classes)]
        return tuple(dict.fromkeys([*self.preferred, *essential]))


def acr_requirement(
    acr_values: Sequence[str], claims: Mapping[str, Any] | None, require_mfa: bool
) -> AcrRequirement:
    """From `acr_values` (voluntary, Core §3.1.2.1), an `acr` claim request (essential or not,
    Core §5.5.1.1) and the client's policy (two factors required).

    Classes this provider does not know cannot be met: voluntary ones are ignored, essential
    ones make the request unmeetable, which Core §5.5.1.1 says to treat as a failed sign-in.
    """
    required: list[frozenset[str]] = []
    preferred = [acr for acr in acr_values if acr in SUPPORTED]
    member = (claims or {}).get("id_token", {}).get("acr")
    if isinstance(member, dict):
        values = member.get("values") or ([member["value"]] if "value" in member else [])
        values = [str(value) for value in values]
        if member.get("essential") is True and values:
            required.append(frozenset(values))
        else:
            preferred += [acr for acr in values if acr in SUPPORTED]
    if require_mfa:
        required.append(frozenset({MULTI_FACTOR}))
    return AcrRequirement(tuple(required), tuple(dict.fromkeys(preferred)))
