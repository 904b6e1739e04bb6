"""The `claims` request parameter (OpenID Connect Core §5.5) for the ID token and UserInfo."""

from __future__ import annotations

import json

from ciam_oidc.app import Provider
from tests.spec.browser import (
    Browser,
    add_customer,
    authorization_params,
    id_token_claims,
    redeem,
    register_rp,
)


async def test_individually_requested_claims_are_released_where_asked(
    browser: Browser, provider: Provider
) -> None:
    await add_customer(provider)  # email alice@example.com, name "Alice"
    rp = await register_rp(provider)
    claims = {"userinfo": {"name": None}, "id_token": {"email": {"essential": True}}}
    params = authorization_params(rp, scope="openid", claims=json.dumps(claims))
    done = await browser.sign_in(await browser.authorize(params))  # openid alone: no consent
    tokens = await redeem(browser, rp, done)
    id_token = await id_token_claims(browser, tokens["id_token"])
    assert id_token["email"] == "alice@example.com"
    assert "name" not in id_token

    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    userinfo = (await browser.http.get("/userinfo", headers=headers)).json()
    assert userinfo["name"] == "Alice"
    assert "email" not in userinfo  # scope openid alone releases no email to UserInfo
