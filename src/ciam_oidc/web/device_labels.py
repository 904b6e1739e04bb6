"""A short name for a browser from its User-Agent header, such as "Firefox on Windows".

Only for people to recognise their own devices on the sessions page: the header is whatever
the browser (or anyone) chose to send, so nothing is decided by it. Order matters because
browsers claim each other's names for compatibility: Edge and Opera say "Chrome", Chrome says
"Safari", and Android says "Linux".
"""

from __future__ import annotations

import re

from ciam_oidc.i18n import N_, gettext

_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"(\b|Headless)(Chrome|Chromium|CriOS)/")),
    ("Safari", re.compile(r"\bSafari/")),
)
_SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)
UNKNOWN = N_("Unknown browser")


def device_label(user_agent: str) -> str:
    browser = _first(_BROWSERS, user_agent)
    system = _first(_SYSTEMS, user_agent)
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if system:
        return gettext("A browser on %(system)s") % {"system": system}
    return browser or gettext(UNKNOWN)


def _first(patterns: tuple[tuple[str, re.Pattern[str]], ...], user_agent: str) -> str | None:
    return next((name for name, pattern in patterns if pattern.search(user_agent)), None)
