"""GitHub's email: `/user` shows only the public address, which may be unverified or absent;
the list at `/user/emails` (scope `user:email`) says which address is primary and verified."""

from __future__ import annotations

from typing import Any

import httpx

from ciam_oidc.authn.upstreams import Upstream
from ciam_oidc.federation.http import get_json


def emails_endpoint(upstream: Upstream) -> str:
    """`/user/emails` beside the user endpoint, so GitHub Enterprise works unchanged."""
    return f"{(upstream.userinfo_endpoint or '').rstrip('/')}/emails"


def primary_verified_email(emails: Any) -> str | None:
    """The primary address when GitHub has verified it; otherwise none (not some other
    address: the person chose the primary one as theirs)."""
    for entry in emails if isinstance(emails, list) else ():
        if (
            isinstance(entry, dict)
            and entry.get("primary") is True
            and entry.get("verified") is True
            and isinstance(entry.get("email"), str)
        ):
            return str(entry["email"])
    return None


async def github_email(http: httpx.AsyncClient, upstream: Upstream) -> tuple[str | None, bool]:
    email = primary_verified_email(
        await get_json(http, emails_endpoint(upstream), "GitHub emails endpoint")
    )
    return email, email is not None
