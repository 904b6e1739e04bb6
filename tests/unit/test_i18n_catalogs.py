"""The message catalogs: every message a page or mail can show is translated, and correctly.

The messages are extracted here exactly as `make messages` does (babel.cfg, in-process), so a
new or changed message without a German and a Spanish translation fails the suite.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from ciam_oidc.i18n import AVAILABLE, LOCALES_DIR, current_locale, gettext, ngettext

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in AVAILABLE if language != "en"]
MessageId = str | tuple[str, ...]

_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
_TAG = re.compile(r"<[^>]+>")


@cache
def extracted() -> frozenset[MessageId]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    return frozenset(
        message for _, _, message, _, _ in extract_from_dir(ROOT / "src", method_map, options_map)
    )


@cache
def catalog(path: Path) -> Catalog:
    with path.open("rb") as po_file:
        # abort_invalid: a syntax error fails here rather than dropping the entry.
        return read_po(po_file, abort_invalid=True)


def po_file(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


def messages(language: str) -> list[Message]:
    return [message for message in catalog(po_file(language)) if message.id]


def forms(text: MessageId) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else tuple(text)


def test_something_is_extracted_from_code_and_from_templates() -> None:
    assert "Sign in" in extracted()  # a template
    assert "The email address or password is incorrect." in extracted()  # code, marked N_
    assert ("%(num)d minute", "%(num)d minutes") in extracted()  # ngettext


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalog_holds_exactly_the_messages_in_use(language: str) -> None:
    """Nothing missing (shown in English), nothing obsolete (left behind by a change)."""
    ids = {message.id for message in messages(language)}
    assert sorted(map(str, extracted() - ids)) == [], "run `make messages` and translate"
    assert sorted(map(str, ids - extracted())) == [], "run `make messages` to drop them"
    assert not catalog(po_file(language)).obsolete


def test_the_template_lists_the_messages_in_use() -> None:
    template = catalog(LOCALES_DIR / "messages.pot")
    assert {message.id for message in template if message.id} == extracted()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_has_a_translation_that_is_not_fuzzy(language: str) -> None:
    untranslated = [
        message.id
        for message in messages(language)
        if message.fuzzy or not all(form.strip() for form in forms(message.string))
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder_and_add_no_markup(language: str) -> None:
    """Word order may change; the %(name)s values, tags and attribute quoting may not."""
    for message in messages(language):
        singular = forms(message.id)[0]
        for original, translation in zip(
            _per_form(message.id, message.string), forms(message.string), strict=True
        ):
            assert Counter(_PLACEHOLDER.findall(translation)) == Counter(
                _PLACEHOLDER.findall(original)
            ), (singular, translation)
            assert Counter(_TAG.findall(translation)) == Counter(_TAG.findall(original)), (
                singular,
                translation,
            )
            # Pages place some messages inside attribute values: no quote may end one early.
            assert '"' not in translation or '"' in original, (singular, translation)


def _per_form(message_id: MessageId, string: MessageId) -> tuple[str, ...]:
    """The English text each translated form stands for: the singular for the first form,
    the plural for every further one (a language may have more forms than English)."""
    english = forms(message_id)
    return tuple(english[min(index, len(english) - 1)] for index in range(len(forms(string))))


@pytest.mark.parametrize("language", TRANSLATED)
def test_translating_a_translation_again_changes_nothing(language: str) -> None:
    """Pages translate messages where they show them, including text already translated
    where values were put into it; no translation may be another message's English."""
    token = current_locale.set(language)
    try:
        for message_id in extracted():
            once = gettext(forms(message_id)[0])
            assert gettext(once) == once, message_id
    finally:
        current_locale.reset(token)


@pytest.mark.parametrize(
    ("language", "sign_in", "minutes"),
    [
        ("en", "Sign in", ("1 minute", "2 minutes")),
        ("de", "Anmelden", ("1 Minute", "2 Minuten")),
        ("es", "Iniciar sesión", ("1 minuto", "2 minutos")),
    ],
)
def test_the_running_catalogs_translate(
    language: str, sign_in: str, minutes: tuple[str, str]
) -> None:
    token = current_locale.set(language)
    try:
        assert gettext("Sign in") == sign_in
        words = [ngettext("%(num)d minute", "%(num)d minutes", n) % {"num": n} for n in (1, 2)]
        assert tuple(words) == minutes
    finally:
        current_locale.reset(token)
