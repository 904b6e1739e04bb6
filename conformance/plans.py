"""The certification plans of the OpenID Foundation's suite, as this kit names them.

One table serves the seed script (which redirect URIs to register), the configuration files
(one per plan, named by `key`) and the README; the harness groups its modules by the same keys.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SUITE = "https://www.certification.openid.net"
DEFAULT_ALIAS = "ciam-oidc"


@dataclass(frozen=True)
class Plan:
    key: str
    title: str
    suite_plan: str
    """The plan's name in the suite's "Create a new test plan" list."""
    variant: str

    def alias(self, prefix: str) -> str:
        """Each plan gets its own alias, so an operator can run several plans at once."""
        return f"{prefix}-{self.key}"


_STATIC = "server_metadata=discovery, client_registration=static_client"

PLANS = (
    Plan("basic", "Basic OP", "oidcc-basic-certification-test-plan", _STATIC),
    Plan("implicit", "Implicit OP", "oidcc-implicit-certification-test-plan", _STATIC),
    Plan("hybrid", "Hybrid OP", "oidcc-hybrid-certification-test-plan", _STATIC),
    Plan("config", "Config OP", "oidcc-config-certification-test-plan", ""),
    Plan(
        "dynamic",
        "Dynamic OP",
        "oidcc-dynamic-certification-test-plan",
        "response_type=code",
    ),
    Plan(
        "formpost",
        "Form Post OP",
        "oidcc-formpost-basic-certification-test-plan",
        _STATIC,
    ),
    Plan(
        "3rdparty",
        "3rd Party-Init OP",
        "oidcc-3rdparty-init-login-certification-test-plan",
        _STATIC,
    ),
    Plan(
        "rp-logout",
        "RP-Initiated Logout OP",
        "oidcc-rp-initiated-logout-certification-test-plan",
        _STATIC,
    ),
    Plan(
        "frontchannel",
        "Front-Channel Logout OP",
        "oidcc-frontchannel-rp-initiated-logout-certification-test-plan",
        _STATIC,
    ),
    Plan(
        "backchannel",
        "Back-Channel Logout OP",
        "oidcc-backchannel-rp-initiated-logout-certification-test-plan",
        _STATIC,
    ),
)


def suite_urls(suite: str, alias: str) -> dict[str, str]:
    """Where the suite's test `alias` receives the provider's redirects and logout calls."""
    base = f"{suite.rstrip('/')}/test/a/{alias}"
    return {
        "redirect_uri": f"{base}/callback",
        "post_logout_redirect_uri": f"{base}/post_logout_redirect",
        "frontchannel_logout_uri": f"{base}/frontchannel_logout",
        "backchannel_logout_uri": f"{base}/backchannel_logout",
        "initiate_login_uri": f"{base}/login",
    }
