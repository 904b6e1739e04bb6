"""The device cookie that tells the browser that asked for a link from others."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.crypto.secrets import new_secret
from ciam_oidc.web.device_cookie import DeviceCookie


def request_with(cookie: str | None) -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_a_browser_keeps_its_value() -> None:
    value = new_secret()
    assert DeviceCookie(False).read_or_new(request_with(f"ciam_device={value}")) == (value, False)


@pytest.mark.parametrize("cookie", [None, "ciam_device=short", "ciam_device=" + "a" * 65])
def test_a_missing_or_foreign_value_is_replaced(cookie: str | None) -> None:
    value, is_new = DeviceCookie(False).read_or_new(request_with(cookie))
    assert is_new
    assert len(value) >= 43  # 256 bits, URL-safe base64


def test_the_cookie_is_httponly_lax_site_wide_and_long_lived() -> None:
    response = Response()
    DeviceCookie(False).write(response, "v" * 43)
    header = response.headers["set-cookie"]
    assert header.startswith("ciam_device=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=34560000"):
        assert attribute in header
    assert "Secure" not in header


def test_over_https_it_is_secure_and_host_only() -> None:
    cookie = DeviceCookie(True)
    response = Response()
    cookie.write(response, "v" * 43)
    assert response.headers["set-cookie"].startswith("__Host-ciam_device=")
    assert "Secure" in response.headers["set-cookie"]
    assert cookie.read(request_with(f"__Host-ciam_device={'v' * 43}")) == "v" * 43
