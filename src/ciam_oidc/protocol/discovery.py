"""Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).

Only what is implemented is advertised: each capability adds its own members when the
application mounts it, so the document never promises an endpoint that is not there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ciam_oidc.protocol.claims import SCOPE_CLAIMS
from ciam_oidc.protocol.subjects import SUBJECT_TYPES

# Core §2 and Front/Back-Channel Logout §2 (sid): what an ID token may say about the sign-in.
_ID_TOKEN_CLAIMS = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
)


def core_metadata(issuer: str, jwks_path: str, signing_algs: Iterable[str]) -> dict[str, Any]:
    """Members that hold as soon as the provider has keys, whatever else is mounted."""
    return {
        "issuer": issuer,
        "jwks_uri": issuer + jwks_path,
        "subject_types_supported": list(SUBJECT_TYPES),  # Core §8
        "id_token_signing_alg_values_supported": list(signing_algs),
        # Discovery §3 recommends listing the claims; only normal ones, not aggregated or
        # distributed (Core §5.6).
        "claims_supported": [
            *_ID_TOKEN_CLAIMS,
            *(name for names in SCOPE_CLAIMS.values() for name in names),  # Core §5.4
        ],
        "claim_types_supported": ["normal"],
    }
