from ciam_oidc.app import Provider


async def test_fresh_database_has_a_signing_key_per_algorithm(provider: Provider) -> None:
    algs = {key.alg for key in await provider.keyring.keys()}
    assert algs == set(provider.settings.signing_algs)
