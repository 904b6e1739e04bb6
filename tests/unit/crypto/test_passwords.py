from passlib.hash import bcrypt, pbkdf2_sha256, scrypt

from ciam_oidc.crypto.passwords import hash_password, verify_password


async def test_new_hashes_are_argon2id_and_verify() -> None:
    stored = await hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert await verify_password("correct horse battery staple", stored) == (True, None)


async def test_wrong_password_does_not_verify() -> None:
    stored = await hash_password("correct horse battery staple")
    matches, _ = await verify_password("Correct horse battery staple", stored)
    assert not matches


async def test_imported_legacy_hashes_verify_and_come_back_as_argon2id() -> None:
    for legacy in (
        pbkdf2_sha256.hash("imported"),
        bcrypt.hash("imported"),
        scrypt.hash("imported"),
    ):
        matches, upgraded = await verify_password("imported", legacy)
        assert matches
        assert upgraded is not None
        assert upgraded.startswith("$argon2id$")


async def test_a_password_a_legacy_hash_cannot_check_is_a_mismatch_not_an_error() -> None:
    """bcrypt refuses over 72 bytes; an unreadable stored hash is refused the same way."""
    long_password = "x" * 100
    assert await verify_password(long_password, bcrypt.hash("short")) == (False, None)
    assert await verify_password("imported", "not-a-hash") == (False, None)
