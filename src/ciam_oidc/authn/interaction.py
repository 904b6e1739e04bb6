"""The browser side of the authorization endpoint: from a request, through sign-in (one or
more factors) and consent, to the response the client receives; and sign-in to our own pages.

The protocol decides what is needed (`protocol.authorization.decision`); this module carries
the person through it and hands the web layer an outcome to render. It never trusts the state
of an earlier step: every resumption checks the stored request again, so a client deleted or
changed mid-flow gets no code.

Each completed factor updates the browser's session at once, with a fresh cookie (no session
fixation across a step-up): a session says truthfully what has been proven so far, and a
client that needs more asks for the missing factor rather than a new sign-in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from ciam_oidc.authn.audit import AuditLog, EventType
from ciam_oidc.authn.authenticators import (
    Attempt,
    Authenticator,
    Factor,
    Failed,
    Registry,
    Verified,
    Visitor,
    Waiting,
)
from ciam_oidc.authn.branding import wear_brand_of
from ciam_oidc.authn.federation import (
    Callback,
    Federation,
    LinkNeeded,
    NoAccount,
    PendingLink,
    failure_message,
)
from ciam_oidc.authn.flows import InvalidTransition, LoginFlow, LoginFlows, StaleFlow, Step
from ciam_oidc.authn.outcomes import (
    EXPIRED,
    Continue,
    Enrol,
    GoTo,
    Outcome,
    Respond,
    ShowConsent,
    ShowError,
    ShowLogin,
    ToUpstream,
)
from ciam_oidc.authn.policy import Policies, SignInPolicy
from ciam_oidc.authn.sessions import Sessions
from ciam_oidc.authn.upstream_links import choice_of
from ciam_oidc.authn.upstreams import Upstream, UpstreamError
from ciam_oidc.crypto.keyring import KeyRing
from ciam_oidc.i18n import N_
from ciam_oidc.protocol.acr import AcrRequirement, acr_requirement, combined_amr, reported_acr
from ciam_oidc.protocol.authorization.decision import Consent, Issue, Login, StepUp, decide
from ciam_oidc.protocol.authorization.request import (
    AuthorizationRequest,
    RedirectableError,
    UnverifiedRedirect,
    check_authorization_request,
)
from ciam_oidc.protocol.authorization.response import respond, respond_with_error
from ciam_oidc.protocol.authorization.tokens import AuthorizationTokens
from ciam_oidc.protocol.authorization_codes import issue_authorization_code, new_grant_id
from ciam_oidc.protocol.authorizations import Authentication, Authorization
from ciam_oidc.protocol.errors import (
    AccessDenied,
    OAuthError,
    UnmetAuthenticationRequirements,
)
from ciam_oidc.protocol.ports import (
    BrowserSession,
    ClientStore,
    CodeStore,
    ConsentStore,
    GrantStore,
)
from ciam_oidc.protocol.request_objects import RequestObjects
from ciam_oidc.protocol.tokens.id_token_hint import id_token_hint_claims

_CHOOSE = N_("Choose a way to sign in.")
UNKNOWN_VISITOR = Visitor()
# The method a person can set up in the middle of a sign-in that requires two factors.
_ENROLLABLE_SECOND_FACTOR = "totp"
# Where a flow keeps an upstream identity waiting to be linked (authn.federation.PendingLink).
_PENDING_LINK = "federation"
# The method recorded for a sign-in through an upstream identity provider.
_UPSTREAM_METHOD = "upstream"


@dataclass(frozen=True)
class Interactions:
    clients: ClientStore
    consents: ConsentStore
    codes: CodeStore
    grants: GrantStore
    flows: LoginFlows
    sessions: Sessions
    methods: Registry
    policies: Policies
    keyring: KeyRing
    issuer: str
    code_ttl: int
    clock: Callable[[], datetime]
    audit: AuditLog
    request_objects: RequestObjects
    tokens: AuthorizationTokens
    """What the implicit and hybrid flows return from the authorization endpoint itself."""
    federation: Federation | None = None
    """Upstream identity providers; None offers none."""
    pkce_for_confidential: bool = True
    """CIAM_PKCE_REQUIRED=all: confidential clients must use PKCE too."""

    async def authorize(self, params: Mapping[str, str], cookie: str | None) -> Outcome:
        request = await self._check(params)
        if not isinstance(request, AuthorizationRequest):
            return request
        session = await self.sessions.find(cookie, self.clock())
        # The parameters as checked: a request object's are in, so a flow keeps those.
        return await self._advance(request, request.params, session, None)

    async def sign_in_to(self, return_to: str, fresh: bool) -> Outcome:
        """Start a sign-in to one of our own pages; `return_to` must be a local path."""
        flow = await self.flows.start({}, self.clock(), return_to=return_to, fresh=fresh)
        return Continue("login", flow.id)

    async def resume(self, flow_id: str, cookie: str | None, device: str = "") -> Outcome:
        """The page a flow is waiting on, for a GET of that page (a reload, a back button)."""
        flow = await self.flows.load(flow_id, self.clock())
        if flow is None:
            return EXPIRED
        request = await self._request_of(flow)
        if isinstance(request, ShowError | Respond):
            return request
        if flow.step is Step.CONSENT:
            if request is None:
                return EXPIRED
            return ShowConsent(
                flow.id, request.target.redirect_uri, request.client.name, flow.scope
            )
        if flow.sub is not None and not await self._session_is_for(flow, cookie):
            return EXPIRED
        return await self._login_page(flow, request, device)

    async def redirect_target(self, flow_id: str) -> str | None:
        """The verified redirect_uri a flow may end at (None: unknown flow, or our pages)."""
        flow = await self.flows.load(flow_id, self.clock())
        request = await self._request_of(flow) if flow else None
        return request.target.redirect_uri if isinstance(request, AuthorizationRequest) else None

    async def submit_login(
        self,
        flow_id: str,
        form: Mapping[str, str],
        cookie: str | None,
        device: str = "",
        visitor: Visitor = UNKNOWN_VISITOR,
    ) -> tuple[Outcome, str | None]:
        """Returns the outcome and, after a completed factor, the new session cookie."""
        now = self.clock()
        flow = await self.flows.load(flow_id, now)
        if flow is None or flow.step is not Step.AUTHENTICATE:
            return EXPIRED, None
        request = await self._request_of(flow)
        if isinstance(request, ShowError | Respond):
            return request, None
        session = await self.sessions.find(cookie, now)
        if flow.sub is not None and (session is None or session.authentication.sub != flow.sub):
            return EXPIRED, None  # a step-up belongs to the session it started from
        method_id = form.get("method", "")
        offered = await self._offered(flow, self._policy(request))
        method = next((m for m in offered if m.id == method_id), None)
        if method is None:
            return await self._login_page(flow, request, device, error=_CHOOSE), None
        try:
            # A challenge answers one submission only: spend it before checking the answer.
            pending = flow.pending.get(method.id, {})
            if pending:
                remaining = {k: v for k, v in flow.pending.items() if k != method.id}
                flow = await self.flows.save(replace(flow, pending=remaining))
        except StaleFlow:
            return EXPIRED, None
        hint = request.login_hint if request else None
        attempt = Attempt(flow.id, flow.sub, pending, device, hint)
        result = await method.verify(attempt, form)
        if isinstance(result, Failed):
            await self.audit.record(
                EventType.SIGN_IN_FAILED, result.sub or flow.sub, visitor.ip, method=method.id
            )
            return await self._login_page(flow, request, device, error=result.message), None
        if isinstance(result, Waiting):
            return await self._login_page(flow, request, device, notice=result.message), None
        return await self._signed_in_by(
            flow, request, session, cookie, method.id, result, visitor, device
        )

    async def registration_flow(self, flow_id: str) -> LoginFlow | None:
        """The flow a registration belongs to, if it may register (policy) and is still open."""
        opened = await self._first_step(flow_id)
        if not isinstance(opened, tuple):
            return None
        flow, request = opened
        return flow if self._policy(request).registration else None

    async def signed_up(
        self,
        flow_id: str,
        verified: Verified,
        cookie: str | None,
        visitor: Visitor = UNKNOWN_VISITOR,
    ) -> tuple[Outcome, str | None]:
        """A new account, verified by its registration, signs in and the flow goes on."""
        opened = await self._first_step(flow_id)
        if not isinstance(opened, tuple):
            return opened, None
        flow, request = opened
        return await self._signed_in_by(
            flow, request, None, cookie, "registration", verified, visitor
        )

    async def start_upstream(self, flow_id: str, upstream_id: str, device: str) -> Outcome:
        """The first step of a sign-in through an upstream the flow's client allows: off to
        its authorization endpoint, or back to the sign-in page saying why not."""
        opened = await self._first_step(flow_id)
        if not isinstance(opened, tuple):
            return opened
        flow, request = opened
        upstream = await self._allowed_upstream(request, upstream_id)
        if upstream is None or self.federation is None:
            return await self._login_page(flow, request, device, error=_CHOOSE)
        try:
            return ToUpstream(await self.federation.begin(upstream.id, device, flow_id=flow.id))
        except UpstreamError as error:
            message = failure_message(error.failure, upstream.name)
            return await self._login_page(flow, request, device, error=message)

    async def upstream_failed(self, flow_id: str, message: str, device: str) -> Outcome:
        """The sign-in page of the flow again, saying why the upstream sign-in did not work."""
        opened = await self._first_step(flow_id)
        if not isinstance(opened, tuple):
            return opened
        return await self._login_page(*opened, device, error=message)

    async def signed_in_upstream(
        self,
        callback: Callback,
        cookie: str | None,
        device: str,
        visitor: Visitor = UNKNOWN_VISITOR,
    ) -> tuple[Outcome, str | None]:
        """An upstream proved an identity for the flow that sent the browser there: sign in
        to its account (created just in time where allowed), or ask to sign in to the account
        its address matched, which links it."""
        opened = await self._first_step(callback.pending.flow_id or "")
        if not isinstance(opened, tuple):
            return opened, None
        if self.federation is None:
            return EXPIRED, None
        flow, request = opened
        # Checked again: the client's list of upstreams may have changed meanwhile.
        if await self._allowed_upstream(request, callback.upstream.id) is None:
            return await self._login_page(flow, request, device, error=_CHOOSE), None
        may_register = self._policy(request).new_accounts
        result = await self.federation.resolve(callback, may_register, device, visitor.ip)
        if isinstance(result, NoAccount):
            return await self._login_page(flow, request, device, error=result.message), None
        if isinstance(result, LinkNeeded):
            waiting = {**flow.pending, _PENDING_LINK: result.link.state()}
            try:
                flow = await self.flows.save(replace(flow, pending=waiting))
            except StaleFlow:
                return EXPIRED, None
            return Continue("login", flow.id), None
        return await self._signed_in_by(
            flow,
            request,
            None,
            cookie,
            _UPSTREAM_METHOD,
            result,
            visitor,
            device,
            upstream=callback.upstream.id,
        )

    async def submit_consent(
        self,
        flow_id: str,
        allow: bool,
        cookie: str | None,
        visitor: Visitor = UNKNOWN_VISITOR,
    ) -> Outcome:
        now = self.clock()
        flow = await self.flows.load(flow_id, now)
        session = await self.sessions.find(cookie, now)
        if flow is None or flow.step is not Step.CONSENT or session is None:
            return EXPIRED
        if session.authentication.sub != flow.sub:
            return EXPIRED
        request = await self._request_of(flow)
        if not isinstance(request, AuthorizationRequest):
            return request or EXPIRED
        try:
            await self.flows.finish(flow)  # only one of two racing submissions gets past here
        except StaleFlow:
            return EXPIRED
        if not allow:
            return Respond(respond_with_error(request.target, AccessDenied("consent was denied")))
        await self.consents.add_consent(
            session.authentication.sub, request.client.client_id, flow.scope, now
        )
        await self.audit.record(
            EventType.CONSENT_GRANTED,
            session.authentication.sub,
            visitor.ip,
            client_id=request.client.client_id,
            scope=" ".join(flow.scope),
        )
        requirement = self._requirement(request)
        authentication = replace(
            session.authentication,
            acr=reported_acr(session.authentication.amr, requirement.requested),
        )
        return await self._issue(request, Issue(authentication, session.id, flow.scope))

    async def _signed_in_by(
        self,
        flow: LoginFlow,
        request: AuthorizationRequest | None,
        session: BrowserSession | None,
        cookie: str | None,
        method_id: str,
        verified: Verified,
        visitor: Visitor,
        device: str = "",
        **details: str,
    ) -> tuple[Outcome, str | None]:
        """A factor is done, whichever way it came (a method's form, a registration, an
        upstream): record it, link an upstream identity waiting for this account, go on."""
        await self.audit.record(
            EventType.SIGN_IN_SUCCEEDED, verified.sub, visitor.ip, method=method_id, **details
        )
        waiting = PendingLink.from_state(flow.pending.get(_PENDING_LINK, {}))
        if waiting is not None and flow.sub is None and self.federation is not None:
            await self.federation.link_signed_in(waiting, verified.sub, device, visitor.ip)
        if _PENDING_LINK in flow.pending:
            kept = {key: state for key, state in flow.pending.items() if key != _PENDING_LINK}
            flow = replace(flow, pending=kept)
        return await self._signed_in(flow, request, session, cookie, method_id, verified, visitor)

    async def _signed_in(
        self,
        flow: LoginFlow,
        request: AuthorizationRequest | None,
        session: BrowserSession | None,
        cookie: str | None,
        method_id: str,
        verified: Verified,
        visitor: Visitor,
    ) -> tuple[Outcome, str | None]:
        now = self.clock()
        stepping_up = flow.sub is not None and session is not None
        earlier = session.authentication.amr if stepping_up and session else ()
        amr = combined_amr(earlier, verified.amr)
        authentication = Authentication(verified.sub, now, reported_acr(amr, ()), amr)
        await self.sessions.end(cookie, now)
        new_cookie, new_session = await self.sessions.start(authentication, now, visitor.user_agent)
        flow = replace(flow, sub=verified.sub, done=(*flow.done, method_id))
        if request is None:
            return await self._advance_own_page(flow, new_session), new_cookie
        outcome = await self._advance(
            request, flow.params, new_session, flow, just_authenticated=True
        )
        return outcome, new_cookie

    async def _check(self, params: Mapping[str, str]) -> AuthorizationRequest | Outcome:
        try:
            request = await check_authorization_request(
                params, self.clients, self.issuer, self.request_objects, self.pkce_for_confidential
            )
        except UnverifiedRedirect as refused:
            return ShowError(N_("This sign-in link is not valid"), refused.error.description)
        except RedirectableError as refused:
            return Respond(respond_with_error(refused.target, refused.error))
        # Verified: its pages and mail may now carry the client's name, logo and colour.
        wear_brand_of(request.client)
        return request

    async def _request_of(
        self, flow: LoginFlow
    ) -> AuthorizationRequest | ShowError | Respond | None:
        """The flow's authorization request, checked again; None for a sign-in to our pages."""
        if flow.return_to is not None:
            return None
        request = await self._check(flow.params)
        if isinstance(request, AuthorizationRequest | ShowError | Respond):
            return request
        return EXPIRED

    async def _first_step(
        self, flow_id: str
    ) -> tuple[LoginFlow, AuthorizationRequest | None] | ShowError | Respond:
        """A flow waiting for its first factor, with its request checked again."""
        flow = await self.flows.load(flow_id, self.clock())
        if flow is None or flow.step is not Step.AUTHENTICATE or flow.sub is not None:
            return EXPIRED
        request = await self._request_of(flow)
        if isinstance(request, ShowError | Respond):
            return request
        return flow, request

    async def _upstreams(self, request: AuthorizationRequest | None) -> list[Upstream]:
        """The upstreams the client allows; our own pages offer every enabled one."""
        if self.federation is None:
            return []
        return await self.federation.offered(request.client.upstreams if request else None)

    async def _allowed_upstream(
        self, request: AuthorizationRequest | None, upstream_id: str
    ) -> Upstream | None:
        return next((u for u in await self._upstreams(request) if u.id == upstream_id), None)

    def _policy(self, request: AuthorizationRequest | None) -> SignInPolicy:
        return self.policies.for_client(request.client if request else None)

    def _requirement(self, request: AuthorizationRequest | None) -> AcrRequirement:
        policy = self._policy(request)
        if request is None:
            return acr_requirement((), None, policy.require_mfa)
        return acr_requirement(request.acr_values, request.claims, policy.require_mfa)

    async def _advance(
        self,
        request: AuthorizationRequest,
        params: Mapping[str, str],
        session: BrowserSession | None,
        flow: LoginFlow | None,
        just_authenticated: bool = False,
    ) -> Outcome:
        policy = self._policy(request)
        try:
            hinted_sub = await self._hinted_sub(request, session)
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
                requirement=self._requirement(request),
                can_step_up=bool(
                    session and await self._second_factors(flow, policy, session.authentication.sub)
                ),
                just_authenticated=just_authenticated,
                hinted_sub=hinted_sub,
            )
        except OAuthError as error:
            return Respond(respond_with_error(request.target, error))
        if isinstance(decision, Login):
            flow = await self._restart(flow, params)
            if flow is None:
                return EXPIRED
            # Initiating User Registration via OpenID Connect 1.0 §4: start on the sign-up page.
            wants_to_register = "create" in request.prompt and policy.registration
            return Continue("register" if wants_to_register else "login", flow.id)
        if isinstance(decision, StepUp):
            assert session is not None  # a step-up implies a signed-in person
            return await self._step_up(flow, params, session, policy, decision, request)
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
            return Continue("consent", flow.id)
        if flow is not None:
            try:
                await self.flows.finish(flow)
            except StaleFlow:
                return EXPIRED
        return await self._issue(request, decision)

    async def _advance_own_page(self, flow: LoginFlow, session: BrowserSession) -> Outcome:
        """After a factor, the same steps as for a client, for a sign-in to our own pages."""
        assert flow.return_to is not None
        policy = self._policy(None)
        requirement = self._requirement(None)
        if requirement.unmet(session.authentication.amr):
            return await self._step_up(
                flow, {}, session, policy, StepUp(requirement, mandatory=True), None
            )
        try:
            await self.flows.finish(flow)
        except StaleFlow:
            return EXPIRED
        return GoTo(flow.return_to)

    async def _restart(self, flow: LoginFlow | None, params: Mapping[str, str]) -> LoginFlow | None:
        """A flow waiting for a first factor (a step-up flow that now needs a new sign-in,
        after prompt=login or max_age, starts over with nobody identified)."""
        if flow is None:
            return await self.flows.start(params, self.clock())
        if flow.sub is None:
            return flow
        try:
            return await self.flows.save(replace(flow, sub=None, pending={}))
        except StaleFlow:
            return None

    async def _step_up(
        self,
        flow: LoginFlow | None,
        params: Mapping[str, str],
        session: BrowserSession,
        policy: SignInPolicy,
        decision: StepUp,
        request: AuthorizationRequest | None,
    ) -> Outcome:
        sub = session.authentication.sub
        offered = await self._second_factors(flow, policy, sub)
        can_enrol = (
            _ENROLLABLE_SECOND_FACTOR in policy.second_factors
            and (enrollable := self.methods.get(_ENROLLABLE_SECOND_FACTOR)) is not None
            and not await enrollable.enrolled(sub)
        )
        if not offered and not (decision.mandatory and can_enrol):
            if request is None:
                return ShowError(
                    N_("This sign-in needs a second factor"),
                    N_("Your account has no second sign-in method this page accepts."),
                    status_code=403,
                )
            unmet = UnmetAuthenticationRequirements("the required sign-in cannot be completed")
            return Respond(respond_with_error(request.target, unmet))
        try:
            if flow is None:
                flow = await self.flows.start(params, self.clock(), sub=sub)
            elif flow.sub != sub:
                flow = await self.flows.save(replace(flow, sub=sub))
            else:
                flow = await self.flows.save(flow)  # records the factor just completed
        except StaleFlow:
            return EXPIRED
        return Continue("login", flow.id) if offered else Enrol(flow.id)

    async def _second_factors(
        self, flow: LoginFlow | None, policy: SignInPolicy, sub: str
    ) -> list[Authenticator]:
        """Second factors this person has set up and has not used in this sign-in."""
        done = set(flow.done) if flow else set()
        return [
            method
            for method in self._allowed(policy.second_factors, Factor.SECOND)
            if method.id not in done and await method.enrolled(sub)
        ]

    async def _offered(self, flow: LoginFlow, policy: SignInPolicy) -> list[Authenticator]:
        if flow.sub is None:
            return self._allowed(policy.first_factors, Factor.FIRST)
        return await self._second_factors(flow, policy, flow.sub)

    def _allowed(self, ids: tuple[str, ...], factor: Factor) -> list[Authenticator]:
        """The policy's methods this deployment runs, in the policy's order."""
        methods = (self.methods.get(method_id) for method_id in ids)
        return [m for m in methods if m is not None and factor in m.factors]

    async def _login_page(
        self,
        flow: LoginFlow,
        request: AuthorizationRequest | None,
        device: str,
        error: str | None = None,
        notice: str | None = None,
    ) -> Outcome:
        offered = await self._offered(flow, self._policy(request))
        first_step = flow.sub is None
        waiting = PendingLink.from_state(flow.pending.get(_PENDING_LINK, {}))
        # The address an upstream matched is the account to sign in to: suggest it.
        hint = waiting.email if waiting else request.login_hint if request else None
        prompts = []
        pending = dict(flow.pending)
        for method in offered:
            attempt = Attempt(flow.id, flow.sub, flow.pending.get(method.id, {}), device, hint)
            prompt = await method.begin(attempt)
            if prompt.pending is not None:
                pending[method.id] = prompt.pending
            prompts.append((method.id, prompt))
        if pending != flow.pending:
            try:
                flow = await self.flows.save(replace(flow, pending=pending))
            except StaleFlow:
                return EXPIRED
        upstreams = await self._upstreams(request) if first_step else []
        return ShowLogin(
            flow.id,
            request.target.redirect_uri if request else None,
            tuple(prompts),
            second_factor=not first_step,
            error=error,
            notice=notice or (waiting.notice if waiting else None),
            can_register=first_step and self._policy(request).registration,
            can_reset_password=first_step and any(m.id == "password" for m in offered),
            upstreams=tuple(choice_of(upstream) for upstream in upstreams),
        )

    async def _session_is_for(self, flow: LoginFlow, cookie: str | None) -> bool:
        session = await self.sessions.find(cookie, self.clock())
        return session is not None and session.authentication.sub == flow.sub

    async def _issue(self, request: AuthorizationRequest, issue: Issue) -> Outcome:
        """A code, tokens, or both, as response_type asks (OpenID Connect Core §3.3.2.5)."""
        now = self.clock()
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
        code = None
        if "code" in request.response_type:
            code = await issue_authorization_code(
                self.codes, self.grants, authorization, now, self.code_ttl
            )
        else:
            # No code opens the grant: open it here, so that logout or the person revoking
            # the client ends the implicit flow's tokens too.
            await self.grants.create_grant(
                authorization.grant_id,
                authorization.client_id,
                issue.authentication.sub,
                now,
                session_id=authorization.session_id,
            )
        try:
            tokens = await self.tokens.issue(request, authorization, code, now)
        except OAuthError as error:
            return Respond(respond_with_error(request.target, error))
        parameters = ({"code": code} if code is not None else {}) | tokens
        return Respond(respond(request.target, parameters))

    async def _hinted_sub(
        self, request: AuthorizationRequest, session: BrowserSession | None
    ) -> str | None:
        """The account the hint names: the session's if it is the `sub` this client was given
        for it (a pairwise `sub` cannot be mapped back any other way), else the hint's own."""
        if request.id_token_hint is None:
            return None
        claims = await id_token_hint_claims(request.id_token_hint, self.keyring, self.issuer)
        hinted = str(claims["sub"])
        subjects = self.tokens.id_tokens.subjects
        if session is not None and subjects.names(
            request.client, session.authentication.sub, hinted
        ):
            return session.authentication.sub
        return hinted
