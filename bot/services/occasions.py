"""The holidays a shop can greet its customers on, and their dates in any year.

Lunar holidays come from the lunar calendar of `borax` (`LunarDate(y, m, d).to_solar_date()`),
never from a hand-written table: the Spring Festival of year Y is the first day of the first
lunar month of lunar year Y, which falls in January or February of solar year Y. Which holidays
are on at all is the deployer's choice (config.yaml `greetings.holidays`); each shop can then
switch each one off (bot.services.greetings.set_holiday).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from borax.calendars.lunardate import LunarDate

#: The occasion of birthday greetings (GreetingLog.occasion), next to the holiday keys.
BIRTHDAY = "birthday"


@dataclass(frozen=True)
class Occasion:
    """A holiday on a fixed solar date, or (lunar) on a lunar month and day."""

    key: str
    month: int
    day: int
    lunar: bool = False


#: Every holiday, in calendar order of a typical year.
OCCASIONS: dict[str, Occasion] = {
    o.key: o
    for o in (
        Occasion("new_year", 1, 1),  # 元旦
        Occasion("spring_festival", 1, 1, lunar=True),  # 春节 正月初一
        Occasion("lantern", 1, 15, lunar=True),  # 元宵 正月十五
        Occasion("valentine", 2, 14),  # 情人节
        Occasion("labour_day", 5, 1),  # 五一
        Occasion("dragon_boat", 5, 5, lunar=True),  # 端午 五月初五
        Occasion("qixi", 7, 7, lunar=True),  # 七夕 七月初七
        Occasion("mid_autumn", 8, 15, lunar=True),  # 中秋 八月十五
        Occasion("national_day", 10, 1),  # 国庆
    )
}


class UnknownOccasion(ValueError):
    """Not a holiday key of OCCASIONS; `reason` is "unknown_occasion"."""

    reason = "unknown_occasion"


def occasion(key: str) -> Occasion:
    try:
        return OCCASIONS[key]
    except KeyError:
        raise UnknownOccasion(key) from None


@cache
def date_of(key: str, year: int) -> date:
    """The solar date of a holiday in `year` (lunar ones: of lunar year `year`)."""
    found = occasion(key)
    if found.lunar:
        return LunarDate(year, found.month, found.day).to_solar_date()
    return date(year, found.month, found.day)


def on(today: date, enabled_keys: Iterable[str]) -> list[str]:
    """The enabled holidays falling on `today`."""
    return [key for key in enabled_keys if key in OCCASIONS and date_of(key, today.year) == today]


def upcoming(today: date, enabled_keys: Iterable[str]) -> list[tuple[str, date]]:
    """Each enabled holiday's next date from `today` (today included), soonest first: the
    coming twelve months."""
    found = []
    for key in enabled_keys:
        if key not in OCCASIONS:
            continue
        when = date_of(key, today.year)
        if when < today:
            when = date_of(key, today.year + 1)
        found.append((key, when))
    return sorted(found, key=lambda pair: (pair[1], list(OCCASIONS).index(pair[0])))


def birthday_in(born_month: int, born_day: int, year: int) -> date:
    """When a birthday falls in `year`: 29 February is kept on 28 February in common years."""
    if born_month == 2 and born_day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, born_month, born_day)
