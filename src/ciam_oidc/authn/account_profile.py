"""Editing one's own profile: the OpenID Connect Core §5.1 claims in `users.PROFILE_CLAIMS`.

Relying parties show these values and may act on `locale` and `zoneinfo`, so they are checked
lightly but strictly enough to be usable: names are bounded single lines, `locale` is a
BCP 47 language tag (§5.1 gives `en-US` as its example), `zoneinfo` an IANA time zone name.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.i18n import N_, gettext
from ciam_oidc.protocol.ports import UserStore
from ciam_oidc.protocol.users import PROFILE_CLAIMS

MAX_NAME_LENGTH = 100
_NAMES = ("name", "given_name", "family_name", "nickname")
# language[-Script][-REGION], the part of BCP 47 (RFC 5646 §2.1) profiles use; `_` is accepted
# as typed by people used to POSIX locales and written back with `-`.
_LOCALE = re.compile(r"([a-z]{2,3})(?:[-_]([a-z]{4}))?(?:[-_]([a-z]{2}|[0-9]{3}))?", re.I)

_TOO_LONG = N_("Use at most %(max)d characters.")
_UNPRINTABLE = N_("Use letters, numbers, spaces and punctuation only.")
_NOT_A_LOCALE = N_('Use a language code, like "de" or "de-CH".')
_NOT_A_ZONE = N_('Use a time zone name, like "Europe/Zurich".')


@dataclass(frozen=True)
class ProfileForm:
    """A profile as typed: the cleaned values, and a message per field that is not usable."""

    values: dict[str, str]
    problems: dict[str, str]


def read_profile(form: Mapping[str, str]) -> ProfileForm:
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for claim in PROFILE_CLAIMS:
        value = " ".join(form.get(claim, "").split())
        values[claim], problem = _checked(claim, value)
        if problem:
            problems[claim] = problem
    return ProfileForm(values, problems)


def _checked(claim: str, value: str) -> tuple[str, str | None]:
    """The value as stored, and what is wrong with it if anything."""
    if not value:
        return value, None
    if claim in _NAMES:
        if len(value) > MAX_NAME_LENGTH:
            return value, gettext(_TOO_LONG) % {"max": MAX_NAME_LENGTH}
        return value, None if value.isprintable() else _UNPRINTABLE
    if claim == "locale":
        match = _LOCALE.fullmatch(value)
        if not match:
            return value, _NOT_A_LOCALE
        language, script, region = match.groups()
        parts = (language.lower(), script and script.title(), region and region.upper())
        return "-".join(part for part in parts if part), None
    zone = _time_zones().get(value.casefold())
    return (zone, None) if zone else (value, _NOT_A_ZONE)


@cache
def _time_zones() -> dict[str, str]:
    """IANA names by their case-folded spelling; read from the system once per process."""
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


class ProfileEditor:
    def __init__(self, users: UserStore, audit: AuditLog, clock: Callable[[], datetime]) -> None:
        self._users = users
        self._audit = audit
        self._clock = clock

    async def current(self, sub: str) -> dict[str, str]:
        """The account's profile claims, blank when unset, as the form shows them."""
        user = await self._users.get_user(sub)
        claims = user.claims if user else {}
        return {claim: str(claims.get(claim, "")) for claim in PROFILE_CLAIMS}

    async def update(self, sub: str, typed: ProfileForm, ip: str | None) -> bool:
        """Store a profile `read_profile` found no problem with; False if nothing changed.

        Claims outside PROFILE_CLAIMS that an operator may have set are kept as they are.
        """
        user = await self._users.get_user(sub)
        if user is None or typed.problems:
            return False
        changed = [c for c in PROFILE_CLAIMS if typed.values[c] != user.claims.get(c, "")]
        if not changed:
            return False
        kept = {k: v for k, v in user.claims.items() if k not in PROFILE_CLAIMS}
        claims = kept | {claim: value for claim, value in typed.values.items() if value}
        await self._users.update_profile(sub, claims, self._clock())
        # Which claims changed, never their values: the audit trail holds no personal data.
        await self._audit.record(EventType.PROFILE_UPDATED, sub, ip, claims=",".join(changed))
        return True
