"""What the authorization endpoint advertises (OpenID Connect Discovery 1.0 §3, RFC 8414 §2)."""

from __future__ import annotations

from typing import Any

from ciam_oidc.protocol import acr
from ciam_oidc.protocol.authorization.request import PROMPTS, SCOPES_SUPPORTED
from ciam_oidc.protocol.authorization.response import RESPONSE_MODES


def authorization_metadata(issuer: str, path: str) -> dict[str, Any]:
    return {
        "authorization_endpoint": issuer + path,
        "response_types_supported": ["code"],
        "response_modes_supported": list(RESPONSE_MODES),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": list(PROMPTS),
        "claims_parameter_supported": True,
        "acr_values_supported": list(acr.SUPPORTED),
        # Discovery §3 defaults request_uri_parameter_supported to true: say it is not.
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,  # RFC 9207 §3
    }
