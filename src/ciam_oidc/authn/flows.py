"""Login flows: the server-side state between an authorization request and its response.

A flow is an explicit state machine, stored in the database so whichever node receives the
next form continues it. Writes are guarded by a version, so a double submit or a second tab
cannot move one flow two ways at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from ciam_oidc.crypto.secrets import new_secret

FLOW_LIFETIME = timedelta(minutes=30)


class Step(StrEnum):
    AUTHENTICATE = "authenticate"
    CONSENT = "consent"


_TRANSITIONS = {Step.AUTHENTICATE: {Step.CONSENT}, Step.CONSENT: set[Step]()}


class StaleFlow(Exception):
    """Another request moved or finished the flow first (a double submit, two tabs)."""


class InvalidTransition(Exception):
    """The flow cannot go there from where it is (a replayed or out-of-order form)."""


class LoginFlowStore(Protocol):
    async def create_flow(
        self, flow_id: str, state: dict[str, Any], now: datetime, expires_at: datetime
    ) -> None: ...

    async def load_flow(self, flow_id: str, now: datetime) -> tuple[dict[str, Any], int] | None: ...

    async def save_flow(self, flow_id: str, state: dict[str, Any], version: int) -> None: ...

    async def delete_flow(self, flow_id: str, version: int) -> None:
        """Raises StaleFlow unless the flow is still at `version`."""


@dataclass(frozen=True)
class LoginFlow:
    id: str
    params: Mapping[str, str]
    """The authorization request as received; checked again whenever the flow resumes."""
    step: Step
    version: int
    sub: str | None = None
    """Who is signing in, once a first factor (or the session being stepped up) says so."""
    scope: tuple[str, ...] = ()
    return_to: str | None = None
    """For a sign-in to our own pages (/account) rather than a client: where to go after."""
    fresh: bool = False
    """Sign in again even with a session: our own pages want a recent sign-in."""
    done: tuple[str, ...] = ()
    """Methods completed in this flow, never offered twice."""
    pending: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per method, what its page asked to remember (a WebAuthn challenge)."""

    def transition(self, step: Step, **changes: Any) -> LoginFlow:
        if step not in _TRANSITIONS[self.step]:
            raise InvalidTransition(f"{self.step} -> {step}")
        return replace(self, step=step, **changes)

    def state(self) -> dict[str, Any]:
        return {
            "params": dict(self.params),
            "step": self.step.value,
            "sub": self.sub,
            "scope": list(self.scope),
            "return_to": self.return_to,
            "fresh": self.fresh,
            "done": list(self.done),
            "pending": {method: dict(state) for method, state in self.pending.items()},
        }

    @classmethod
    def from_state(cls, flow_id: str, state: Mapping[str, Any], version: int) -> LoginFlow:
        return cls(
            id=flow_id,
            params=state["params"],
            step=Step(state["step"]),
            version=version,
            sub=state["sub"],
            scope=tuple(state["scope"]),
            return_to=state.get("return_to"),
            fresh=state.get("fresh", False),
            done=tuple(state.get("done", ())),
            pending=state.get("pending", {}),
        )


class LoginFlows:
    def __init__(self, store: LoginFlowStore) -> None:
        self._store = store

    async def start(self, params: Mapping[str, str], now: datetime, **fields: Any) -> LoginFlow:
        flow = LoginFlow(
            id=new_secret(), params=dict(params), step=Step.AUTHENTICATE, version=1, **fields
        )
        await self._store.create_flow(flow.id, flow.state(), now, now + FLOW_LIFETIME)
        return flow

    async def load(self, flow_id: str, now: datetime) -> LoginFlow | None:
        found = await self._store.load_flow(flow_id, now)
        if found is None:
            return None
        state, version = found
        return LoginFlow.from_state(flow_id, state, version)

    async def save(self, flow: LoginFlow) -> LoginFlow:
        await self._store.save_flow(flow.id, flow.state(), flow.version)
        return replace(flow, version=flow.version + 1)

    async def finish(self, flow: LoginFlow) -> None:
        await self._store.delete_flow(flow.id, flow.version)
