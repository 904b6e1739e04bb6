"""Signing in through upstream identity providers, in Chromium, with real upstreams on loopback.

Provider A (`ciam-oidc serve` on http://localhost) trusts two upstreams, each configured with
`ciam-oidc idps create` as an operator would: workspace B, a second `ciam-oidc serve` with its
own database, and npm's oidc-provider (query responses, and form_post as Apple sends them).
The relying party of A is played by the test: a real HTTP server catches its redirects and
the test redeems the code at A's token endpoint.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import (
    PASSWORD,
    Authorization,
    Site,
    authorization,
    redeem,
    sign_in_with_password,
)
from tests.browser.upstreams import (
    NodeOidcProvider,
    RelyingParty,
    UpstreamAccount,
    allow_when_asked,
    continue_with,
    create_idp,
    federation_callback,
    secret_file,
    sign_in_at_oidc_provider,
)
from tests.e2e.processes import (
    Invocation,
    ServerProcess,
    Workspace,
    free_ports,
    fresh_workspace,
    parse_json,
    run_concurrently,
    serving,
)
from tests.interop.conftest import node  # noqa: F401  (the fixture: Node with the npm packages)
from tests.support.smtp import SmtpServer

CALLBACK = "/callback"
SCOPE = "openid profile email"
B, B_NAME = "b", "Workspace B"
OP, OP_NAME = "op", "Node Provider"
OP_FORM_POST, OP_FORM_POST_NAME = "op-form-post", "Node Provider via form_post"
NEWCOMER = "ada@b.example"  # known to B only: A creates her account on her first sign-in
SHARED = "linus@shared.example"  # a password account at A, and an account at B
OP_ACCOUNT = UpstreamAccount("grace", "grace@op.example", "Grace Hopper")
Credentials = tuple[str, str]  # client_id, client_secret


@dataclass(frozen=True)
class Federation:
    site: Site
    """Provider A and its relying party's registration."""
    rp: RelyingParty
    b: ServerProcess
    b_subs: dict[str, str]
    """B's own `sub` of each of its customers, by email."""
    shared_sub: str
    """A's `sub` of the password account whose email B knows too."""
    op_issuer: str
    op_client: Credentials

    def back_at_a(self) -> Callable[[str], bool]:
        """A URL past the upstream and A's callback: a page of A's, or the relying party."""
        a, rp = self.site.issuer, self.site.rp_base
        return lambda url: (url.startswith(a) and "/federation/" not in url) or url.startswith(rp)


def to_oidc_provider(
    a: Workspace, op_issuer: str, op_client: Credentials, upstream_id: str, *args: str
) -> Invocation:
    """`idps create` on A for oidc-provider, its client secret handed over in a file."""
    client_id, client_secret = op_client
    secret = secret_file(a, f"{upstream_id}-secret", client_secret)
    return create_idp(
        a,
        upstream_id,
        *("--preset", "oidc", "--issuer", op_issuer),
        *("--client-id", client_id, "--client-secret-file", str(secret), *args),
    )


def _user(workspace: Workspace, email: str) -> Invocation:
    args = ("users", "create", "--email", email, "--email-verified", "--password-stdin")
    return Invocation(workspace, (*args, "--json"), stdin=f"{PASSWORD}\n")


def _client(workspace: Workspace, name: str, redirect_uri: str, *args: str) -> Invocation:
    return Invocation(
        workspace,
        (
            *("clients", "create", "--name", name, "--scope", SCOPE, "--redirect-uri"),
            *(redirect_uri, "--auth-method", "client_secret_basic", *args, "--json"),
        ),
    )


@pytest.fixture(scope="module")
def federation(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[Federation]:
    """A, B and oidc-provider running, their clients and customers made with their CLIs."""
    node_path: str = request.getfixturevalue("node")
    a_port, b_port, op_port, rp_port = free_ports(4)
    issuer, rp_base = f"http://localhost:{a_port}", f"http://localhost:{rp_port}"
    b_issuer = f"http://127.0.0.1:{b_port}"
    a = fresh_workspace(request, "sqlite", tmp_path_factory.mktemp("a")).with_settings(
        CIAM_ISSUER=issuer,
        CIAM_SMTP_HOST=smtp.host,
        CIAM_SMTP_PORT=str(smtp.port),
        CIAM_SMTP_SECURITY="none",
        CIAM_DEV_MAILBOX="false",
    )
    b = fresh_workspace(request, "sqlite", tmp_path_factory.mktemp("b"))
    b = b.with_settings(CIAM_ISSUER=b_issuer)
    op_client = ("provider-a", secrets.token_urlsafe(32))
    op_callbacks = [federation_callback(issuer, OP), federation_callback(issuer, OP_FORM_POST)]
    with ExitStack() as stack:
        op = stack.enter_context(
            NodeOidcProvider(node_path, op_port, op_client, op_callbacks, OP_ACCOUNT, a.directory)
        )
        rp_server = stack.enter_context(RelyingParty(rp_port))
        rp, b_client, shared_at_a, *b_users = map(
            parse_json,
            run_concurrently(
                # The operator's own shop (no consent page at A): every sign-in answer goes
                # straight from A's callback to the shop, another origin than the upstream's.
                _client(a, "Shop", rp_base + CALLBACK, "--first-party"),
                _client(b, "Provider A", federation_callback(issuer, B)),
                _user(a, SHARED),
                _user(b, NEWCOMER),
                _user(b, SHARED),
            ),
        )
        b_server = stack.enter_context(serving(b, b_port))
        b_secret = secret_file(a, "b-secret", b_client["client_secret"])
        to_b = create_idp(
            a,
            B,
            *("--preset", "oidc", "--issuer", b_issuer, "--name", B_NAME),
            *("--client-id", b_client["client_id"], "--client-secret-file", str(b_secret)),
        )
        to_op = to_oidc_provider(a, op.issuer, op_client, OP, "--name", OP_NAME)
        for result in run_concurrently(to_b, to_op):
            parse_json(result)
        a_server = stack.enter_context(serving(a, a_port))
        yield Federation(
            Site(issuer, rp_base, rp["client_id"], rp["client_secret"], smtp, a_server, a),
            rp_server,
            b_server,
            {user["email"]: user["sub"] for user in b_users},
            shared_at_a["sub"],
            op.issuer,
            op_client,
        )


@pytest.fixture(scope="module")
def form_post_upstream(federation: Federation) -> str:
    """oidc-provider once more, answering with form_post (as Apple does): added to the
    running A, as an operator adds an upstream to a live deployment."""
    site = federation.site
    invocation = to_oidc_provider(
        site.workspace,
        federation.op_issuer,
        federation.op_client,
        OP_FORM_POST,
        *("--name", OP_FORM_POST_NAME, "--option", "response_mode=form_post"),
    )
    parse_json(invocation.run())
    return OP_FORM_POST


@dataclass(frozen=True)
class Journey:
    """One authorization request of the relying party, followed in one browser page."""

    page: Page
    auth: Authorization
    console: list[str]
    """What the page logged: a CSP refusal is only ever said there."""

    @asynccontextmanager
    async def explained(self) -> AsyncIterator[None]:
        """A step that waits, failing with where the page is stuck and what it logged."""
        try:
            yield
        except (AssertionError, PlaywrightTimeoutError) as error:
            raise AssertionError(f"{error}\nstuck at {self.page.url}; {self.console}") from None

    async def redeemed(self, federation: Federation) -> dict[str, Any]:
        """The claims of the code the relying party received (bounded wait)."""
        async with self.explained():
            url = await federation.rp.callback(self.auth.state)
        return await redeem(federation.site, url, self.auth)


async def begin(context: BrowserContext, federation: Federation) -> Journey:
    page = await context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    auth = authorization(federation.site)
    await page.goto(auth.url)
    return Journey(page, auth, console)


async def sign_in_at_b(journey: Journey, federation: Federation, email: str) -> None:
    """From A's sign-in page through B's: its password, and its consent the first time."""
    b = federation.b.base_url
    await continue_with(journey.page, B, B_NAME, b)
    await sign_in_with_password(journey.page, email)
    async with journey.explained():
        await allow_when_asked(journey.page, lambda url: not url.startswith(f"{b}/login"))


async def through_oidc_provider(
    federation: Federation, context: BrowserContext, upstream_id: str, name: str
) -> tuple[dict[str, Any], str]:
    """A sign-in through oidc-provider: the claims A issued, and how the answer came back
    to A (the HTTP method of the callback)."""
    journey = await begin(context, federation)
    await continue_with(journey.page, upstream_id, name, federation.op_issuer)
    callback_url = federation_callback(federation.site.issuer, upstream_id)
    async with journey.page.expect_request(lambda r: r.url.startswith(callback_url)) as callback:
        await sign_in_at_oidc_provider(journey.page, OP_ACCOUNT)
    claims = await journey.redeemed(federation)
    assert claims["iss"] == federation.site.issuer
    assert "fed" in claims["amr"]
    # oidc-provider puts no email in its ID token (the scope's claims are for UserInfo,
    # OpenID Connect Core §5.4), so A has asked its UserInfo endpoint.
    assert (claims["email"], claims["name"]) == (OP_ACCOUNT.email, OP_ACCOUNT.name)
    account = parse_json(federation.site.workspace.run("users", "show", OP_ACCOUNT.email, "--json"))
    assert account["sub"] == claims["sub"]
    return claims, (await callback.value).method


async def prove_with_password(page: Page, email: str) -> None:
    """A's password form, its email field filled in already or not."""
    form = page.locator("form").filter(has=page.locator("input[name=password]")).first
    email_field = form.locator("input[name=email]")
    if await email_field.count() and await email_field.is_editable():
        await email_field.fill(email)
    await form.locator("input[name=password]").fill(PASSWORD)
    await form.locator("button[type=submit]").click()


async def test_workspace_b_creates_an_account_at_first_and_signs_in_to_it_again(
    federation: Federation, context: BrowserContext, chromium_context_2: BrowserContext
) -> None:
    site = federation.site
    subs = []
    for browser in (context, chromium_context_2):  # the second has no session at A or B
        journey = await begin(browser, federation)
        await sign_in_at_b(journey, federation, NEWCOMER)
        claims = await journey.redeemed(federation)
        assert claims["iss"] == site.issuer
        assert "fed" in claims["amr"]
        assert (claims["email"], claims["email_verified"]) == (NEWCOMER, True)
        subs.append(claims["sub"])
    assert subs[0] == subs[1]
    assert subs[0] != federation.b_subs[NEWCOMER]  # A's own account, not B's identifier
    account = parse_json(site.workspace.run("users", "show", NEWCOMER, "--json"))
    assert account["sub"] == subs[0]

    await journey.page.goto(f"{site.issuer}/account/connections")
    unlink = journey.page.locator(f'form input[name=issuer][value="{federation.b.base_url}"]')
    assert await unlink.count() == 1, await journey.page.content()
    assert B_NAME in await journey.page.locator("main").inner_text()


async def test_oidc_provider_signs_a_customer_in_with_a_query_response(
    federation: Federation, context: BrowserContext
) -> None:
    _, method = await through_oidc_provider(federation, context, OP, OP_NAME)
    assert method == "GET"


async def test_oidc_provider_signs_a_customer_in_with_a_cross_site_form_post(
    federation: Federation, context: BrowserContext, form_post_upstream: str
) -> None:
    """oidc-provider is on 127.0.0.1, A on localhost: its form_post arrives without A's
    SameSite=Lax cookies, as Apple's does in production."""
    _, method = await through_oidc_provider(
        federation, context, form_post_upstream, OP_FORM_POST_NAME
    )
    assert method == "POST"


async def test_a_taken_email_links_to_its_account_only_after_its_password(
    federation: Federation, context: BrowserContext, chromium_context_2: BrowserContext
) -> None:
    journey = await begin(context, federation)
    await sign_in_at_b(journey, federation, SHARED)
    await journey.page.wait_for_url(federation.back_at_a())
    assert journey.page.url.startswith(federation.site.issuer)  # not at the relying party
    await journey.page.locator("input[name=password]").wait_for()
    await prove_with_password(journey.page, SHARED)
    claims = await journey.redeemed(federation)
    assert claims["sub"] == federation.shared_sub

    # Linked now: the next sign-in through B reaches the account without its password.
    journey = await begin(chromium_context_2, federation)
    await sign_in_at_b(journey, federation, SHARED)
    claims = await journey.redeemed(federation)
    assert claims["sub"] == federation.shared_sub
    assert "fed" in claims["amr"]
