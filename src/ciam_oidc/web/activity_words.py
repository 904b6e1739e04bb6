"""Audit events in words their account's owner understands, for the activity page."""

from __future__ import annotations

from collections.abc import Mapping

from ciam_oidc.authn.audit import AuditEvent, EventType

_METHODS = {
    "password": "a password",
    "passkey": "a passkey",
    "totp": "an authenticator app code",
    "magic_link": "an emailed link",
}
_SIMPLE = {
    EventType.ACCOUNT_LOCKED: "Sign-in was paused after too many failed attempts",
    EventType.ACCOUNT_REGISTERED: "Created the account",
    EventType.ACCOUNT_DELETED: "Deleted the account",
    EventType.EMAIL_VERIFIED: "Confirmed the email address",
    EventType.EMAIL_CHANGED: "Changed the email address",
    EventType.PROFILE_UPDATED: "Updated the profile",
    EventType.PASSWORD_CHANGED: "Changed the password",
    EventType.PASSWORD_RESET: "Reset the password by email",
    EventType.MFA_ENROLLED: "Added an authenticator app",
    EventType.MFA_REMOVED: "Removed the authenticator app",
    EventType.RECOVERY_CODES_REGENERATED: "Got new recovery codes",
    EventType.PASSKEY_ADDED: "Added a passkey",
    EventType.PASSKEY_REMOVED: "Removed a passkey",
}


def describe(event: AuditEvent, client_names: Mapping[str, str]) -> str:
    """One sentence; `client_names` names the clients the events mention by client_id."""
    details = event.details
    client = client_names.get(details.get("client_id", ""), "an app")
    if event.type is EventType.SIGN_IN_SUCCEEDED:
        if details.get("method") == "registration":
            return "Signed in after creating the account"
        return f"Signed in with {_method(details)}"
    if event.type is EventType.SIGN_IN_FAILED:
        return f"A sign-in with {_method(details)} failed"
    if event.type is EventType.CONSENT_GRANTED:
        return f"Allowed {client} to use the account"
    if event.type is EventType.CONSENT_REVOKED:
        return f"Removed the access of {client}"
    if event.type is EventType.SESSION_ENDED:
        others = details.get("others")
        if others:
            return f"Signed out {others} other browser{'' if others == '1' else 's'}"
        return "Signed out a browser"
    return _SIMPLE.get(event.type, event.type.value)


def _method(details: Mapping[str, str]) -> str:
    return _METHODS.get(details.get("method", ""), "another method")
