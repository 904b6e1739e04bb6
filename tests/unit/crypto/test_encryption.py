import pytest

from ciam_oidc.crypto.encryption import DecryptionError, SecretBox

MASTER = b"m" * 32


def test_sealed_value_opens_for_the_same_row() -> None:
    box = SecretBox(MASTER, "signing-keys")
    assert box.open(box.seal(b"private jwk", "kid-1"), "kid-1") == b"private jwk"


def test_sealed_value_does_not_contain_the_plaintext() -> None:
    sealed = SecretBox(MASTER, "signing-keys").seal(b"private jwk", "kid-1")
    assert b"private" not in sealed


def test_value_moved_to_another_row_does_not_open() -> None:
    box = SecretBox(MASTER, "signing-keys")
    with pytest.raises(DecryptionError):
        box.open(box.seal(b"private jwk", "kid-1"), "kid-2")


def test_value_does_not_open_under_another_master_secret_or_purpose() -> None:
    sealed = SecretBox(MASTER, "signing-keys").seal(b"private jwk", "kid-1")
    with pytest.raises(DecryptionError):
        SecretBox(b"n" * 32, "signing-keys").open(sealed, "kid-1")
    with pytest.raises(DecryptionError):
        SecretBox(MASTER, "totp-seeds").open(sealed, "kid-1")


def test_tampered_ciphertext_is_rejected() -> None:
    box = SecretBox(MASTER, "signing-keys")
    sealed = bytearray(box.seal(b"private jwk", "kid-1"))
    sealed[-1] ^= 1
    with pytest.raises(DecryptionError):
        box.open(bytes(sealed), "kid-1")
