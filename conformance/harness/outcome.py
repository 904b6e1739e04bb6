"""What a module concludes: PASS, FAIL with what was wrong, or SKIP with why it did not apply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from conformance.harness.rp import RelyingParty

NOT_ADVERTISED = "not advertised by this deployment"


@dataclass(frozen=True)
class Outcome:
    status: str  # "PASS" | "FAIL" | "SKIP"
    detail: str = ""

    def line(self, plan: str, name: str) -> str:
        if self.status == "SKIP":
            return f"SKIP   {plan:<12} {name} ({self.detail})"
        tail = f": {self.detail}" if self.detail else ""
        return f"{self.status:<6} {plan:<12} {name}{tail}"


class Failed(Exception):
    """The provider did something the suite's module would reject."""


class Skipped(Exception):
    """The module does not apply to this deployment; the message says why."""


class PassedWithNote(Exception):
    """The module passed in a way worth saying (e.g. a feature refused as unsupported)."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


def skip(reason: str) -> NoReturn:
    raise Skipped(reason)


ModuleBody = Callable[["RelyingParty"], Awaitable[None]]

# The Form Post plan runs the Basic modules again with this parameter added.
PLAN_PARAMS: dict[str, dict[str, str]] = {"formpost": {"response_mode": "form_post"}}


@dataclass(frozen=True)
class Module:
    """One of the suite's test modules, reproduced: `run` never raises, it concludes."""

    plan: str
    name: str
    body: ModuleBody

    async def run(self, rp: RelyingParty) -> Outcome:
        rp.plan = self.plan
        try:
            await self.body(rp)
        except PassedWithNote as note:
            return Outcome("PASS", str(note))
        except Skipped as reason:
            return Outcome("SKIP", str(reason))
        except Failed as problem:
            return Outcome("FAIL", str(problem))
        except Exception as error:  # an unexpected answer is a failure of this module only
            return Outcome("FAIL", f"{type(error).__name__}: {error}")
        return Outcome("PASS")


MODULES: list[Module] = []


def module(name: str, *plans: str) -> Callable[[ModuleBody], ModuleBody]:
    """Register a module under the suite's module name for each plan that has it."""

    def register(body: ModuleBody) -> ModuleBody:
        MODULES.extend(Module(plan, name, body) for plan in plans)
        return body

    return register
