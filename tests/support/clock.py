"""A clock tests set and move by hand, handed to code that takes a `clock` callable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
