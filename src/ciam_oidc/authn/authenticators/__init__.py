"""The authenticator interface: every sign-in method is one module under this package.

A login flow offers several methods and routes each submitted form to the method it names, so
a method only ever sees its own fields. Methods know nothing of OAuth: they are told which
account is already identified (for a second factor) and hand back what they need remembered
between showing the page and checking the answer (a WebAuthn challenge), which the flow stores
server-side so whichever node receives the answer can check it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Factor(StrEnum):
    FIRST = "first"
    """Identifies the person and proves it: may start a sign-in."""
    SECOND = "second"
    """Proves again, with something else, that an identified person is who they claim."""


@dataclass(frozen=True)
class Visitor:
    """Who is at the other end of the request, as far as the network and browser say."""

    ip: str | None = None
    user_agent: str = ""


@dataclass(frozen=True)
class Attempt:
    """What a method may know about the sign-in in progress."""

    flow_id: str
    sub: str | None
    """The account an earlier factor identified; None while nobody is identified yet."""
    pending: Mapping[str, Any] = field(default_factory=dict)
    """What this method's last `begin` asked to remember (empty if nothing)."""
    device: str = ""
    """A stable random identifier of the browser (from a cookie), to tell whether a link is
    opened where it was requested."""
    login_hint: str | None = None


@dataclass(frozen=True)
class Prompt:
    """What the sign-in page shows for one method: a partial template and its context."""

    template: str
    """Under web/templates/methods/, e.g. "methods/passkey.html"."""
    context: Mapping[str, Any] = field(default_factory=dict)
    pending: Mapping[str, Any] | None = None
    """State to keep server-side until the answer arrives; None keeps what was there."""


@dataclass(frozen=True)
class Verified:
    sub: str
    amr: tuple[str, ...]
    """RFC 8176 method references for what was done, e.g. ("pwd",) or ("swk", "user")."""


@dataclass(frozen=True)
class Failed:
    message: str
    """Safe to show: never says whether an account exists."""
    sub: str | None = None
    """The account the attempt was for, when known: for its audit trail, never shown."""


@dataclass(frozen=True)
class Waiting:
    """Nothing is proven yet, and the person must act elsewhere (open an emailed link)."""

    message: str


Result = Verified | Failed | Waiting


class Authenticator(Protocol):
    @property
    def id(self) -> str:
        """The form field `method` names it by; also its key in policies and settings."""

    @property
    def factors(self) -> frozenset[Factor]: ...

    async def enrolled(self, sub: str) -> bool:
        """Whether this account can use the method now (a confirmed TOTP, a passkey)."""

    async def begin(self, attempt: Attempt) -> Prompt: ...

    async def verify(self, attempt: Attempt, form: Mapping[str, str]) -> Result:
        """Check the submitted form. With `attempt.sub` set, only that account may pass."""


class Registry:
    """The methods this deployment runs, by id, in the order the sign-in page lists them."""

    def __init__(self, *methods: Authenticator) -> None:
        self._methods = {method.id: method for method in methods}

    def __iter__(self) -> Iterator[Authenticator]:
        return iter(self._methods.values())

    def get(self, method_id: str) -> Authenticator | None:
        return self._methods.get(method_id)
