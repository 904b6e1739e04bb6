"""A software WebAuthn authenticator, so API tests can run passkey ceremonies without a browser.

It answers the JSON options a relying party sends with the JSON a browser would post back (the
shape py_webauthn parses): ES256 keys, "none" attestation, discoverable credentials. Keyword
arguments produce the answers a relying party must refuse: another origin or RP ID, a broken
signature, a counter that does not move forward (a cloned authenticator), no user
verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_UP, _UV, _BE, _BS, _AT = 0x01, 0x04, 0x08, 0x10, 0x40
_AAGUID = bytes(16)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    id: bytes
    rp_id: str
    user_handle: bytes
    key: ec.EllipticCurvePrivateKey
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        """RFC 9053 §7.1.1 EC2 key: kty 2, alg ES256 (-7), crv P-256 (1), x, y."""
        point = self.key.public_key().public_numbers()
        x, y = point.x.to_bytes(32, "big"), point.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})


class SoftAuthenticator:
    def __init__(self, *, backup_eligible: bool = False, counts_signatures: bool = True) -> None:
        """`backup_eligible` makes synced (software) passkeys; without `counts_signatures` the
        counter stays 0, as many platform authenticators do."""
        self.credentials: dict[bytes, SoftCredential] = {}
        self._backup = _BE | _BS if backup_eligible else 0
        self._counts = counts_signatures

    def create(
        self,
        options_json: str,
        origin: str,
        *,
        rp_id: str | None = None,
        user_verified: bool = True,
        credential_id: bytes | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.create(): a new discoverable credential for the options' user."""
        options = json.loads(options_json)
        excluded = {from_b64url(item["id"]) for item in options.get("excludeCredentials", [])}
        if excluded & self.credentials.keys():
            raise ValueError("InvalidStateError: this authenticator is excluded")
        credential = SoftCredential(
            id=credential_id or secrets.token_bytes(16),
            rp_id=rp_id or options["rp"]["id"],
            user_handle=from_b64url(options["user"]["id"]),
            key=ec.generate_private_key(ec.SECP256R1()),
        )
        self.credentials[credential.id] = credential
        attested = (
            _AAGUID
            + len(credential.id).to_bytes(2, "big")
            + credential.id
            + credential.cose_public_key()
        )
        auth_data = self._auth_data(credential, _AT | _flags(user_verified)) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = _client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options_json: str,
        origin: str,
        *,
        rp_id: str | None = None,
        user_verified: bool = True,
        sign_count: int | None = None,
        tamper: bool = False,
    ) -> dict[str, Any]:
        """navigator.credentials.get(): an assertion from an allowed (or any) credential.

        `sign_count` replaces the counter the authenticator would send; `tamper` breaks the
        signature.
        """
        options = json.loads(options_json)
        credential = self._choose(options)
        if sign_count is None:
            credential.sign_count += 1 if self._counts else 0
            sign_count = credential.sign_count
        auth_data = self._auth_data(credential, _flags(user_verified), rp_id, sign_count)
        client_data = _client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = credential.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        if tamper:
            signature = signature[:-1] + bytes([signature[-1] ^ 1])
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _choose(self, options: dict[str, Any]) -> SoftCredential:
        allowed = [from_b64url(item["id"]) for item in options.get("allowCredentials", [])]
        candidates = [
            credential
            for credential in self.credentials.values()
            if credential.rp_id == options["rpId"] and (not allowed or credential.id in allowed)
        ]
        if not candidates:
            raise LookupError("NotAllowedError: no credential for these options")
        return candidates[-1]

    def _auth_data(
        self,
        credential: SoftCredential,
        flags: int,
        rp_id: str | None = None,
        sign_count: int | None = None,
    ) -> bytes:
        """WebAuthn §6.1: rpIdHash, flags, signCount."""
        count = credential.sign_count if sign_count is None else sign_count
        return (
            hashlib.sha256((rp_id or credential.rp_id).encode()).digest()
            + bytes([flags | self._backup])
            + count.to_bytes(4, "big")
        )


def _flags(user_verified: bool) -> int:
    return _UP | (_UV if user_verified else 0)


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    """WebAuthn §5.8.1 CollectedClientData, serialized as the browser would."""
    return json.dumps(
        {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
    ).encode()
