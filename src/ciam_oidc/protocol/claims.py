"""Which of a person's claims a client receives (OpenID Connect Core §5.4, §5.5).

A scope value stands for a set of claims (§5.4); the `claims` request parameter asks for single
claims in its `userinfo` and `id_token` members (§5.5). Either way only claims the person has
are released: an absent claim is left out, never sent as null or "" (§5.3.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ciam_oidc.protocol.users import User

# OpenID Connect Core §5.4: the claims each scope value requests.
SCOPE_CLAIMS: Mapping[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
# Only these are person claims; anything else a `claims` request names (acr, auth_time, sub)
# is about the authentication or the token and is answered elsewhere.
USER_CLAIMS = frozenset(name for names in SCOPE_CLAIMS.values() for name in names)


def scope_claims(scope: Iterable[str]) -> list[str]:
    """The claim names the scope values request, in the order §5.4 lists them."""
    return [name for value in scope for name in SCOPE_CLAIMS.get(value, ())]


def user_claims(
    user: User, scope: Iterable[str], requested: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The person's claims for `scope` plus those named in `requested` (one member of the
    `claims` request parameter, e.g. `{"email": {"essential": true}, "name": null}`).

    `sub` is not among them: the ID token and the UserInfo response always carry it (§5.3.2).
    Essential claims the person lacks are left out too: §5.5.1 says an error is not returned.
    """
    names = scope_claims(scope) + [name for name in requested or {} if name in USER_CLAIMS]
    released: dict[str, Any] = {}
    for name in dict.fromkeys(names):
        value = _claim(user, name)
        if value is not None and value != "":
            released[name] = value
    return released


def _claim(user: User, name: str) -> Any:
    if name == "email":
        return user.email
    if name == "email_verified":
        return user.email_verified
    if name == "updated_at":
        # §5.1: a JSON number of seconds since the epoch.
        return int(user.updated_at.timestamp())
    return user.claims.get(name)


def requested_claims(claims: Mapping[str, Any] | None, member: str) -> Mapping[str, Any] | None:
    """One member (`userinfo` or `id_token`) of the `claims` request parameter (Core §5.5)."""
    requested = (claims or {}).get(member)
    return requested if isinstance(requested, Mapping) else None
