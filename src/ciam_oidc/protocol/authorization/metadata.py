"""What the authorization endpoint advertises (OpenID Connect Discovery 1.0 §3, RFC 8414 §2)."""

from __future__ import annotations

from typing import Any

from ciam_oidc.protocol import acr
from ciam_oidc.protocol.authorization.request import (
    DISPLAYS,
    PROMPTS,
    RESPONSE_TYPES,
    SCOPES_SUPPORTED,
)
from ciam_oidc.protocol.authorization.response import RESPONSE_MODES
from ciam_oidc.protocol.request_objects import REQUEST_OBJECT_ALGS


def authorization_metadata(issuer: str, path: str) -> dict[str, Any]:
    return {
        "authorization_endpoint": issuer + path,
        # Implicit and hybrid only for clients registered for them (RFC 9700 §2.1.2).
        "response_types_supported": list(RESPONSE_TYPES),
        "response_modes_supported": list(RESPONSE_MODES),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": list(PROMPTS),
        "claims_parameter_supported": True,
        "acr_values_supported": list(acr.SUPPORTED),
        "display_values_supported": list(DISPLAYS),
        # OpenID Connect Core §6; `none` only for a client that registered it.
        "request_parameter_supported": True,
        "request_uri_parameter_supported": True,
        "require_request_uri_registration": True,
        "request_object_signing_alg_values_supported": list(REQUEST_OBJECT_ALGS),
        "authorization_response_iss_parameter_supported": True,  # RFC 9207 §3
    }
