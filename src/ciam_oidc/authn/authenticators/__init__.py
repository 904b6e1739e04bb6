"""The authenticator interface: each method is a plugin that says "not mine" to forms it does
not own, so a login page can offer several methods and route each submission to its owner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Verified:
    sub: str
    amr: tuple[str, ...]
    """RFC 8176 method references, e.g. ("pwd",)."""


@dataclass(frozen=True)
class Failed:
    message: str
    """Safe to show: never says whether the account exists."""


@dataclass(frozen=True)
class NotResponsible:
    """The submission belongs to another method."""


Result = Verified | Failed | NotResponsible


class Authenticator(Protocol):
    @property
    def id(self) -> str: ...

    async def verify(self, form: Mapping[str, str]) -> Result: ...
