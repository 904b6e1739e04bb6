"""Where an upstream's endpoints are: its discovery document (OpenID Connect Discovery 1.0),
overridden by what the operator configured, or the configuration alone for OAuth 2.0."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ciam_oidc.authn.upstreams import Upstream, UpstreamError, UpstreamFailure, UpstreamKind
from ciam_oidc.federation.documents import CachedDocuments
from ciam_oidc.federation.presets import Preset

TENANT_PLACEHOLDER = "{tenantid}"
TENANT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    """Exact, or a `{tenantid}` template (Microsoft's multi-tenant endpoints)."""
    authorization: str
    token: str
    userinfo: str | None
    jwks_uri: str | None
    iss_parameter_supported: bool
    """RFC 9207 §3: the upstream promises an `iss` parameter in every response."""
    token_auth_methods: tuple[str, ...]
    """Offered at the token endpoint; empty means "not said" (OIDC Discovery §3 default)."""


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery §4: the well-known path appended to the issuer."""
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def fits_issuer(issuer: str, iss: str) -> bool:
    """`iss` is the issuer, or for a tenant template, the template with some tenant id."""
    if TENANT_PLACEHOLDER not in issuer:
        return iss == issuer
    prefix, _, suffix = issuer.partition(TENANT_PLACEHOLDER)
    tenant = iss.removeprefix(prefix).removesuffix(suffix)
    return iss == f"{prefix}{tenant}{suffix}" and TENANT_ID.fullmatch(tenant) is not None


def parse_metadata(document: Any, url: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"discovery {url}: not an object")
    return document


class Discovery:
    def __init__(self, documents: CachedDocuments[dict[str, Any]]) -> None:
        self._documents = documents

    async def endpoints(self, upstream: Upstream, preset: Preset) -> Endpoints:
        issuer = upstream.issuer or ""
        explicit = (upstream.authorization_endpoint, upstream.token_endpoint, upstream.jwks_uri)
        if upstream.kind is UpstreamKind.OAUTH2 or all(explicit):
            metadata: dict[str, Any] = {"issuer": issuer}
        else:
            metadata = (await self._documents.get(discovery_url(issuer))).value
            _check_issuer(metadata, issuer, preset)
        return Endpoints(
            issuer=str(metadata["issuer"]),
            authorization=_endpoint(upstream.authorization_endpoint, metadata, "authorization"),
            token=_endpoint(upstream.token_endpoint, metadata, "token"),
            userinfo=upstream.userinfo_endpoint or _optional(metadata, "userinfo_endpoint"),
            jwks_uri=upstream.jwks_uri or _optional(metadata, "jwks_uri"),
            iss_parameter_supported=(
                metadata.get("authorization_response_iss_parameter_supported") is True
            ),
            token_auth_methods=_strings(metadata.get("token_endpoint_auth_methods_supported")),
        )


def _check_issuer(metadata: dict[str, Any], issuer: str, preset: Preset) -> None:
    """OpenID Connect Discovery §4.3: the document's issuer is the one we asked, exactly, or a
    forged document could name its own. Microsoft's multi-tenant endpoints answer with a
    template instead, checked per ID token once its `tid` is known."""
    found = metadata.get("issuer")
    if found == issuer or (
        preset.tenant_issuer and isinstance(found, str) and TENANT_PLACEHOLDER in found
    ):
        return
    raise UpstreamError(
        UpstreamFailure.MISCONFIGURED, f"discovery for {issuer} names issuer {found!r}"
    )


def _endpoint(configured: str | None, metadata: dict[str, Any], name: str) -> str:
    url = configured or _optional(metadata, f"{name}_endpoint")
    if url is None:
        raise UpstreamError(UpstreamFailure.MISCONFIGURED, f"no {name} endpoint is known")
    return url


def _optional(metadata: dict[str, Any], member: str) -> str | None:
    value = metadata.get(member)
    return value if isinstance(value, str) and value else None


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()
