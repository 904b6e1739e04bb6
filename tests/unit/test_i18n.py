"""Choosing the language of a page: ui_locales, then Accept-Language, then the default."""

from __future__ import annotations

import pytest

from ciam_oidc.i18n import negotiate


@pytest.mark.parametrize(
    ("ui_locales", "accept_language", "expected"),
    [
        (("de-CH", "en"), "es", "de"),  # ui_locales first, region ignored
        (("fr", "es"), None, "es"),  # the first one we have
        ((), "fr-CA, es;q=0.8, de;q=0.9", "de"),  # by weight, not by position
        ((), "es;q=0, de;q=0.1", "de"),  # q=0 means "not this one"
        ((), "*, en;q=0.5", "en"),
        (("xx-invalid!",), "garbage;;q=x", "en"),
        ((), None, "en"),
    ],
)
def test_the_first_language_we_have_wins(
    ui_locales: tuple[str, ...], accept_language: str | None, expected: str
) -> None:
    assert negotiate(ui_locales, accept_language) == expected


def test_the_default_applies_when_nothing_matches() -> None:
    assert negotiate(("fr",), "it", default="es") == "es"
