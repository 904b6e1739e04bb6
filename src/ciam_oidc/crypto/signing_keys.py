"""Signing keys: generation, the public JWK each one publishes, and sealing the private part.

The `kid` is the RFC 7638 thumbprint, so it is unique by construction and the same on every
node. Private parts exist in the database only sealed under the master secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc.jwk import ECKey, Key, KeyParameters, OKPKey, RSAKey

from ciam_oidc.crypto.encryption import SecretBox

_RSA_BITS = 2048
JWK = dict[str, Any]


@dataclass(frozen=True)
class StoredKey:
    """A signing key as persisted: public JWK in the clear, private JWK sealed.

    `activates_at`: from then on it signs (it is published from creation).
    `retires_at`: from then on it is neither used nor published; None while it is current.
    """

    kid: str
    alg: str
    public_jwk: JWK
    sealed_private_jwk: bytes
    created_at: datetime
    activates_at: datetime
    retires_at: datetime | None = None

    def is_published(self, now: datetime) -> bool:
        return self.retires_at is None or now < self.retires_at

    def state(self, now: datetime, signing: bool) -> str:
        """Operator-facing lifecycle name; whether it is `signing` the key ring decides."""
        if not self.is_published(now):
            return "retired"
        if now < self.activates_at:
            return "pending"
        return "signing" if signing else "retiring"


def generate_private_key(alg: str) -> Key:
    parameters: KeyParameters = {"alg": alg, "use": "sig"}
    key: Key
    if alg == "RS256":
        key = RSAKey.generate_key(_RSA_BITS, parameters=parameters, private=True)
    elif alg == "ES256":
        key = ECKey.generate_key("P-256", parameters=parameters, private=True)
    elif alg == "Ed25519":
        key = OKPKey.generate_key("Ed25519", parameters=parameters, private=True)
    else:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    key.ensure_kid()
    return key


def seal_new_key(alg: str, box: SecretBox, now: datetime, activates_at: datetime) -> StoredKey:
    private = generate_private_key(alg)
    kid = str(private.kid)
    return StoredKey(
        kid=kid,
        alg=alg,
        public_jwk=private.as_dict(private=False),
        sealed_private_jwk=box.seal(json.dumps(private.as_dict(private=True)).encode(), kid),
        created_at=now,
        activates_at=activates_at,
    )


def open_private_key(stored: StoredKey, box: SecretBox) -> Key:
    jwk = json.loads(box.open(stored.sealed_private_jwk, stored.kid))
    return _import(jwk)


def _import(jwk: JWK) -> Key:
    kty = jwk["kty"]
    if kty == "RSA":
        return RSAKey.import_key(jwk)
    if kty == "EC":
        return ECKey.import_key(jwk)
    if kty == "OKP":
        return OKPKey.import_key(jwk)
    raise ValueError(f"unsupported key type {kty!r}")
