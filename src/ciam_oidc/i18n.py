"""Languages of pages and mail: which one a person gets, and the message catalogs.

The choice follows OpenID Connect Core §3.1.2.1 `ui_locales` first (the client knows what
its user reads), then the browser's Accept-Language (RFC 9110 §12.5.4), then the server's
default. Catalogs are gettext `.po` files under `locales/`, read once and compiled in memory,
so what is committed is what runs and no compiled file can go stale.

Code marks a message with `N_("...")` where it is defined and translates it with `gettext`
where it is shown, in the language of the request being answered.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterable
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
AVAILABLE = ("en", "de", "es")
DOMAIN = "messages"

current_locale: ContextVar[str] = ContextVar("current_locale", default="en")


def N_(message: str) -> str:  # noqa: N802 (the gettext convention extractors look for)
    """Mark `message` for translation where it is defined; `gettext` translates it later."""
    return message


@cache
def translations(locale: str) -> gettext_module.NullTranslations:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if locale == "en" or not path.is_file():
        return gettext_module.NullTranslations()
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def negotiate(
    ui_locales: Iterable[str] = (), accept_language: str | None = None, default: str = "en"
) -> str:
    """The first language we have among `ui_locales`, then among Accept-Language by weight."""
    for tag in [*ui_locales, *_by_preference(accept_language or "")]:
        language = _language(tag)
        if language in AVAILABLE:
            return language
    return default


def _by_preference(header: str) -> list[str]:
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _language(tag: str) -> str | None:
    try:
        return str(Locale.parse(tag.strip(), sep="-").language)
    except (UnknownLocaleError, ValueError):
        return None
