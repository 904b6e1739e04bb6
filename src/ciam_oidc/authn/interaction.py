"""The browser side of the authorization endpoint: from a request, through sign-in and consent,
to the response the client receives.

The protocol decides what is needed (`protocol.authorization.decision`); this module carries
the person through it and hands the web layer an outcome to render. It never trusts the state
of an earlier step: every resumption checks the stored request again, so a client deleted or
changed mid-flow gets no code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ciam_oidc.authn.authenticators import Authenticator, Failed, Verified
from ciam_oidc.authn.flows import InvalidTransition, LoginFlow, LoginFlows, StaleFlow, Step
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.protocol.authorization.decision import Consent, Issue, Login, decide
from ciam_oidc.protocol.authorization.request import (
    AuthorizationRequest,
    RedirectableError,
    UnverifiedRedirect,
    check_authorization_request,
)
from ciam_oidc.protocol.authorization.response import (
    AuthorizationResponse,
    respond,
    respond_with_error,
)
from ciam_oidc.protocol.authorization_codes import issue_authorization_code, new_grant_id
from ciam_oidc.protocol.authorizations import Authentication, Authorization
from ciam_oidc.protocol.errors import AccessDenied, OAuthError
from ciam_oidc.protocol.ports import (
    BrowserSession,
    ClientStore,
    CodeStore,
    ConsentStore,
    GrantStore,
)
from ciam_oidc.protocol.tokens.id_token_hint import id_token_hint_claims

# Until step-up policies exist, one factor is what a session proves (ISO/IEC 29115 level 1).
SINGLE_FACTOR_ACR = "1"


@dataclass(frozen=True)
class ShowError:
    """A page for the person: nothing may be sent to an unverified redirect_uri."""

    title: str
    message: str
    status_code: int = 400


@dataclass(frozen=True)
class Respond:
    response: AuthorizationResponse


@dataclass(frozen=True)
class ShowLogin:
    flow_id: str
    return_to: str
    """The verified redirect_uri the answer to this page may redirect to."""
    login_hint: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ShowConsent:
    flow_id: str
    return_to: str
    client_name: str
    scope: tuple[str, ...]


Outcome = ShowError | Respond | ShowLogin | ShowConsent

EXPIRED = ShowError(
    "This sign-in has expired",
    "Return to the application and start again.",
)


@dataclass(frozen=True)
class Interactions:
    clients: ClientStore
    consents: ConsentStore
    codes: CodeStore
    grants: GrantStore
    flows: LoginFlows
    sessions: Sessions
    authenticators: Sequence[Authenticator]
    keyring: KeyRing
    issuer: str
    code_ttl: int
    clock: Callable[[], datetime]

    async def authorize(self, params: Mapping[str, str], cookie: str | None) -> Outcome:
        request = await self._check(params)
        if not isinstance(request, AuthorizationRequest):
            return request
        session = await self.sessions.find(cookie, self.clock())
        return await self._advance(request, params, session, None)

    async def resume(self, flow_id: str) -> Outcome:
        """The page a flow is waiting on, for a GET of that page (a reload, a back button)."""
        flow = await self.flows.load(flow_id, self.clock())
        if flow is None:
            return EXPIRED
        request = await self._check(flow.params)
        if not isinstance(request, AuthorizationRequest):
            return request
        if flow.step is Step.CONSENT:
            return ShowConsent(
                flow.id, request.target.redirect_uri, request.client.name, flow.scope
            )
        return ShowLogin(flow.id, request.target.redirect_uri, request.login_hint)

    async def submit_login(
        self, flow_id: str, form: Mapping[str, str], cookie: str | None
    ) -> tuple[Outcome, str | None]:
        """Returns the outcome and, after a successful sign-in, the new session cookie."""
        now = self.clock()
        flow = await self.flows.load(flow_id, now)
        if flow is None or flow.step is not Step.AUTHENTICATE:
            return EXPIRED, None
        request = await self._check(flow.params)
        if not isinstance(request, AuthorizationRequest):
            return request, None
        verified = await self._verify(form)
        if isinstance(verified, Failed):
            login_again = ShowLogin(
                flow.id, request.target.redirect_uri, form.get("email"), verified.message
            )
            return login_again, None
        await self.sessions.end(cookie, now)
        authentication = Authentication(verified.sub, now, SINGLE_FACTOR_ACR, verified.amr)
        new_cookie, session = await self.sessions.start(authentication, now)
        outcome = await self._advance(request, flow.params, session, flow, just_authenticated=True)
        return outcome, new_cookie

    async def submit_consent(self, flow_id: str, allow: bool, cookie: str | None) -> Outcome:
        now = self.clock()
        flow = await self.flows.load(flow_id, now)
        session = await self.sessions.find(cookie, now)
        if flow is None or flow.step is not Step.CONSENT or session is None:
            return EXPIRED
        if session.authentication.sub != flow.sub:
            return EXPIRED
        request = await self._check(flow.params)
        if not isinstance(request, AuthorizationRequest):
            return request
        try:
            await self.flows.finish(flow)  # only one of two racing submissions gets past here
        except StaleFlow:
            return EXPIRED
        if not allow:
            return Respond(respond_with_error(request.target, AccessDenied("consent was denied")))
        await self.consents.add_consent(
            session.authentication.sub, request.client.client_id, flow.scope, now
        )
        return await self._issue(request, Issue(session.authentication, session.id, flow.scope))

    async def _check(self, params: Mapping[str, str]) -> AuthorizationRequest | Outcome:
        try:
            return await check_authorization_request(params, self.clients, self.issuer)
        except UnverifiedRedirect as refused:
            return ShowError("This sign-in link is not valid", refused.error.description)
        except RedirectableError as refused:
            return Respond(respond_with_error(refused.target, refused.error))

    async def _advance(
        self,
        request: AuthorizationRequest,
        params: Mapping[str, str],
        session: BrowserSession | None,
        flow: LoginFlow | None,
        just_authenticated: bool = False,
    ) -> Outcome:
        try:
            hinted_sub = await self._hinted_sub(request)
            consented = (
                await self.consents.consented_scope(
                    session.authentication.sub, request.client.client_id
                )
                if session
                else frozenset[str]()
            )
            decision = decide(
                request,
                session,
                consented,
                self.clock(),
                just_authenticated=just_authenticated,
                hinted_sub=hinted_sub,
            )
        except OAuthError as error:
            return Respond(respond_with_error(request.target, error))
        if isinstance(decision, Login):
            flow = flow or await self.flows.start(params, self.clock())
            return ShowLogin(flow.id, request.target.redirect_uri, request.login_hint)
        if isinstance(decision, Consent):
            assert session is not None  # a consent decision implies a signed-in person
            flow = flow or await self.flows.start(params, self.clock())
            try:
                flow = await self.flows.save(
                    flow.transition(
                        Step.CONSENT, sub=session.authentication.sub, scope=decision.scope
                    )
                )
            except (InvalidTransition, StaleFlow):
                return EXPIRED
            return ShowConsent(
                flow.id, request.target.redirect_uri, request.client.name, decision.scope
            )
        if flow is not None:
            try:
                await self.flows.finish(flow)
            except StaleFlow:
                return EXPIRED
        return await self._issue(request, decision)

    async def _issue(self, request: AuthorizationRequest, issue: Issue) -> Outcome:
        authorization = Authorization(
            grant_id=new_grant_id(),
            client_id=request.client.client_id,
            authentication=issue.authentication,
            scope=issue.scope,
            redirect_uri=request.target.redirect_uri,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            claims=request.claims,
            session_id=issue.session_id,
        )
        code = await issue_authorization_code(
            self.codes, self.grants, authorization, self.clock(), self.code_ttl
        )
        return Respond(respond(request.target, {"code": code}))

    async def _hinted_sub(self, request: AuthorizationRequest) -> str | None:
        if request.id_token_hint is None:
            return None
        claims = await id_token_hint_claims(request.id_token_hint, self.keyring, self.issuer)
        return str(claims["sub"])

    async def _verify(self, form: Mapping[str, str]) -> Verified | Failed:
        for authenticator in self.authenticators:
            result = await authenticator.verify(form)
            if isinstance(result, Verified | Failed):
                return result
        return Failed("Choose a way to sign in.")
