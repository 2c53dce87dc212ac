"""One injectable clock, so tests move time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC; the only place the bot asks what time it is."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


clock: Clock = Clock()


def now() -> datetime:
    """Current UTC time from the installed clock."""
    return clock.now()


def install(new_clock: Clock) -> None:
    """Swap the process clock (tests, simulations)."""
    global clock
    clock = new_clock
