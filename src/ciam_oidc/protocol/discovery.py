"""Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).

Only what is implemented is advertised: each capability adds its own members when the
application mounts it, so the document never promises an endpoint that is not there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def core_metadata(issuer: str, jwks_path: str, signing_algs: Iterable[str]) -> dict[str, Any]:
    """Members that hold as soon as the provider has keys, whatever else is mounted."""
    return {
        "issuer": issuer,
        "jwks_uri": issuer + jwks_path,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(signing_algs),
    }
