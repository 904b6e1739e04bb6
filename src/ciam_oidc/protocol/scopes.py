"""Scope values (RFC 6749 §3.3): space-delimited, order-insensitive, case-sensitive."""

from __future__ import annotations

from ciam_oidc.protocol.errors import InvalidScope


def parse_scope(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys((value or "").split()))


def granted_scope(requested: str | None, allowed: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """The requested scope if the client may have all of it, else `invalid_scope`.

    RFC 6749 §3.3: when the client asks for nothing, the server uses a pre-defined default.
    """
    wanted = parse_scope(requested) or default
    unknown = [scope for scope in wanted if scope not in parse_scope(allowed)]
    if unknown:
        raise InvalidScope(f"not allowed for this client: {' '.join(unknown)}")
    return wanted
