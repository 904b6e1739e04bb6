"""Checking a code from an authenticator app against a secret (RFC 6238).

The answer is the time step the code belongs to, not a yes or no: the caller records that step
as used, which is what makes a code single-use (§5.2) and refuses an older code once a newer
one was accepted.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

TIME_STEP_SECONDS = 30
"""RFC 6238 §5.2 recommends 30 seconds; authenticator apps assume it."""
DIGITS = 6
WINDOW_STEPS = 1
"""Steps accepted either side of now, for clock drift and typing time (RFC 6238 §5.2, §6)."""


def time_step(now: datetime) -> int:
    """RFC 6238 §4.2: T = floor((Unix time - T0) / X), with T0 = 0."""
    return int(now.timestamp()) // TIME_STEP_SECONDS


def normalise_code(typed: str) -> str | None:
    """The digits of a typed code, spaces ignored (apps show "123 456"); None if malformed."""
    code = "".join(typed.split())
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step within the window whose code is `code`, or None.

    Every candidate is computed and compared in constant time, so timing tells nothing about
    which step (or digit) came close.
    """
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=TIME_STEP_SECONDS)
    current = time_step(now)
    matches = [
        step
        for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1)
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode())
    ]
    return matches[0] if matches else None
