from ciam_oidc.crypto.secrets import derive_secret, digest_secret, new_secret, secret_matches


def test_new_secrets_carry_256_bits_and_differ() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(first) >= 43  # 32 bytes in unpadded base64url


def test_stored_digest_is_not_the_secret_but_matches_it() -> None:
    secret = new_secret()
    stored = digest_secret(secret)
    assert secret not in stored
    assert secret_matches(secret, stored)
    assert not secret_matches(secret + "x", stored)


def test_derived_secret_is_stable_per_master_and_purpose() -> None:
    assert derive_secret(b"a" * 32, "demo") == derive_secret(b"a" * 32, "demo")
    assert derive_secret(b"a" * 32, "demo") != derive_secret(b"b" * 32, "demo")
    assert derive_secret(b"a" * 32, "demo") != derive_secret(b"a" * 32, "other")
