"""Calendar arithmetic shared by the services (card expiry in months, the qualifying year, the
greetings' year ahead)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import TypeVar

D = TypeVar("D", date, datetime)


def add_months(moment: D, months: int) -> D:
    """The same day (and time) `months` later (the month's last day if it is shorter)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def utc(moment: datetime) -> datetime:
    """Stored times compare correctly only in one zone (SQLite keeps text)."""
    return moment.astimezone(UTC)
