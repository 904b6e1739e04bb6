"""The activity page's sentences: every event a person may see has words, not a code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ciam_oidc.authn.audit import AuditEvent, EventType
from ciam_oidc.web.activity_words import describe

NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
SHOP = {"shop-id": "Shop"}


def event(type: EventType, **details: str) -> AuditEvent:
    return AuditEvent(type, NOW, "sub-1", details)


@pytest.mark.parametrize("type", list(EventType))
def test_every_event_type_reads_as_a_sentence(type: EventType) -> None:
    words = describe(event(type), SHOP)
    assert words[0].isupper()
    assert type.value not in words


@pytest.mark.parametrize(
    ("recorded", "words"),
    [
        (event(EventType.SIGN_IN_SUCCEEDED, method="passkey"), "Signed in with a passkey"),
        (
            event(EventType.SIGN_IN_FAILED, method="totp"),
            "A sign-in with an authenticator app code failed",
        ),
        (
            event(EventType.SIGN_IN_SUCCEEDED, method="registration"),
            "Signed in after creating the account",
        ),
        (
            event(EventType.SIGN_IN_SUCCEEDED, method="something-new"),
            "Signed in with another method",
        ),
        (event(EventType.CONSENT_GRANTED, client_id="shop-id"), "Allowed Shop to use the account"),
        (event(EventType.CONSENT_REVOKED, client_id="gone"), "Removed the access of an app"),
        (event(EventType.SESSION_ENDED, session_id="s-1"), "Signed out a browser"),
        (event(EventType.SESSION_ENDED, others="1"), "Signed out 1 other browser"),
        (event(EventType.SESSION_ENDED, others="3"), "Signed out 3 other browsers"),
    ],
)
def test_details_complete_the_sentence(recorded: AuditEvent, words: str) -> None:
    assert describe(recorded, SHOP) == words
