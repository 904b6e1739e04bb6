"""Audit events in words their account's owner understands, for the activity page.

Each event reads as one whole sentence in the request's language: sentences are never built
from translated fragments ("with" + "a passkey"), since other languages bend the words a
fragment would leave fixed.
"""

from __future__ import annotations

from collections.abc import Mapping

from ciam_oidc.authn.audit import AuditEvent, EventType
from ciam_oidc.i18n import N_, gettext, ngettext

_SIGNED_IN = {
    "password": N_("Signed in with a password"),
    "passkey": N_("Signed in with a passkey"),
    "totp": N_("Signed in with an authenticator app code"),
    "magic_link": N_("Signed in with an emailed link"),
    "registration": N_("Signed in after creating the account"),
    "upstream": N_("Signed in with a connected account elsewhere"),
}
_SIGNED_IN_OTHERWISE = N_("Signed in with another method")
_SIGN_IN_FAILED = {
    "password": N_("A sign-in with a password failed"),
    "passkey": N_("A sign-in with a passkey failed"),
    "totp": N_("A sign-in with an authenticator app code failed"),
    "magic_link": N_("A sign-in with an emailed link failed"),
}
_SIGN_IN_FAILED_OTHERWISE = N_("A sign-in with another method failed")
_SIMPLE = {
    EventType.ACCOUNT_LOCKED: N_("Sign-in was paused after too many failed attempts"),
    EventType.ACCOUNT_REGISTERED: N_("Created the account"),
    EventType.ACCOUNT_DELETED: N_("Deleted the account"),
    EventType.EMAIL_VERIFIED: N_("Confirmed the email address"),
    EventType.EMAIL_CHANGED: N_("Changed the email address"),
    EventType.PROFILE_UPDATED: N_("Updated the profile"),
    EventType.PASSWORD_CHANGED: N_("Changed the password"),
    EventType.PASSWORD_RESET: N_("Reset the password by email"),
    EventType.MFA_ENROLLED: N_("Added an authenticator app"),
    EventType.MFA_REMOVED: N_("Removed the authenticator app"),
    EventType.RECOVERY_CODES_REGENERATED: N_("Got new recovery codes"),
    EventType.PASSKEY_ADDED: N_("Added a passkey"),
    EventType.PASSKEY_REMOVED: N_("Removed a passkey"),
    EventType.UPSTREAM_LINKED: N_("Connected an account elsewhere to sign in with"),
    EventType.UPSTREAM_UNLINKED: N_("Disconnected an account elsewhere"),
}


def describe(event: AuditEvent, client_names: Mapping[str, str]) -> str:
    """One sentence; `client_names` names the clients the events mention by client_id."""
    details = event.details
    method = details.get("method", "")
    client = client_names.get(details.get("client_id", ""))
    if event.type is EventType.SIGN_IN_SUCCEEDED:
        return gettext(_SIGNED_IN.get(method, _SIGNED_IN_OTHERWISE))
    if event.type is EventType.SIGN_IN_FAILED:
        return gettext(_SIGN_IN_FAILED.get(method, _SIGN_IN_FAILED_OTHERWISE))
    if event.type is EventType.CONSENT_GRANTED:
        if client is None:
            return gettext("Allowed an app to use the account")
        return gettext("Allowed %(app)s to use the account") % {"app": client}
    if event.type is EventType.CONSENT_REVOKED:
        if client is None:
            return gettext("Removed the access of an app")
        return gettext("Removed the access of %(app)s") % {"app": client}
    if event.type is EventType.SESSION_ENDED:
        others = details.get("others", "")
        if others.isdigit():
            count = int(others)
            return ngettext(
                "Signed out %(num)d other browser", "Signed out %(num)d other browsers", count
            ) % {"num": count}
        return gettext("Signed out a browser")
    simple = _SIMPLE.get(event.type)
    return gettext(simple) if simple else event.type.value
