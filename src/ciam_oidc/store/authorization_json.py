"""JSON forms of authorizations, for the rows that carry one (codes, refresh tokens).

One JSON column rather than a column per member: the record is written once, read whole, and
never queried by its members.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ciam_oidc.protocol.authorizations import Authentication, Authorization, RefreshTokenRecord


def authentication_json(authentication: Authentication) -> dict[str, Any]:
    if authentication.auth_time.tzinfo is None:
        raise ValueError("naive auth_time: authentication times are aware UTC")
    return {
        "sub": authentication.sub,
        "auth_time": authentication.auth_time.astimezone(UTC).isoformat(),
        "acr": authentication.acr,
        "amr": list(authentication.amr),
    }


def authentication_from(data: dict[str, Any]) -> Authentication:
    return Authentication(
        sub=data["sub"],
        auth_time=datetime.fromisoformat(data["auth_time"]),
        acr=data["acr"],
        amr=tuple(data["amr"]),
    )


def authorization_json(authorization: Authorization) -> dict[str, Any]:
    return {
        "grant_id": authorization.grant_id,
        "client_id": authorization.client_id,
        "authentication": authentication_json(authorization.authentication),
        "scope": list(authorization.scope),
        "redirect_uri": authorization.redirect_uri,
        "nonce": authorization.nonce,
        "code_challenge": authorization.code_challenge,
        "claims": authorization.claims,
        "session_id": authorization.session_id,
    }


def authorization_from(data: dict[str, Any]) -> Authorization:
    return Authorization(
        grant_id=data["grant_id"],
        client_id=data["client_id"],
        authentication=authentication_from(data["authentication"]),
        scope=tuple(data["scope"]),
        redirect_uri=data["redirect_uri"],
        nonce=data["nonce"],
        code_challenge=data["code_challenge"],
        claims=data["claims"],
        session_id=data["session_id"],
    )


def refresh_token_json(record: RefreshTokenRecord) -> dict[str, Any]:
    return {
        "authentication": authentication_json(record.authentication),
        "scope": list(record.scope),
    }


def refresh_token_from(
    data: dict[str, Any], grant_id: str, client_id: str, issued_at: datetime, expires_at: datetime
) -> RefreshTokenRecord:
    return RefreshTokenRecord(
        grant_id=grant_id,
        client_id=client_id,
        authentication=authentication_from(data["authentication"]),
        scope=tuple(data["scope"]),
        issued_at=issued_at,
        expires_at=expires_at,
    )
