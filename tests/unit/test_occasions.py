"""Holiday dates against the lunar-calendar library, over many years; the year ahead's order;
birthdays on 29 February."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from borax.calendars.lunardate import LunarDate

from bot.config import ALL_HOLIDAYS
from bot.services import occasions
from bot.services.greetings import month_days_of

LUNAR = {
    "spring_festival": (1, 1),
    "lantern": (1, 15),
    "dragon_boat": (5, 5),
    "qixi": (7, 7),
    "mid_autumn": (8, 15),
}
FIXED = {"new_year": (1, 1), "valentine": (2, 14), "labour_day": (5, 1), "national_day": (10, 1)}


def test_the_nine_holidays_are_the_configurable_ones() -> None:
    assert set(occasions.OCCASIONS) == set(LUNAR) | set(FIXED) == set(ALL_HOLIDAYS)


@pytest.mark.parametrize("year", range(2000, 2051))
def test_lunar_holidays_are_the_librarys_dates(year: int) -> None:
    for key, (month, day) in LUNAR.items():
        expected = LunarDate(year, month, day).to_solar_date()
        assert occasions.date_of(key, year) == expected
        assert occasions.date_of(key, year).year == year  # always in the same solar year
        back = LunarDate.from_solar(expected)
        assert (back.month, back.day, back.leap) == (month, day, 0)
    for key, (month, day) in FIXED.items():
        assert occasions.date_of(key, year) == date(year, month, day)


def test_known_dates() -> None:
    assert occasions.date_of("spring_festival", 2026) == date(2026, 2, 17)
    assert occasions.date_of("mid_autumn", 2031) == date(2031, 10, 1)  # on National Day
    assert occasions.date_of("dragon_boat", 2025) == date(2025, 5, 31)


def test_on_a_day_and_the_year_ahead() -> None:
    assert occasions.on(date(2031, 10, 1), ALL_HOLIDAYS) == ["mid_autumn", "national_day"]
    assert occasions.on(date(2031, 10, 1), ["new_year"]) == []
    assert occasions.on(date(2030, 10, 2), ALL_HOLIDAYS) == []
    today = date(2030, 3, 1)
    ahead = occasions.upcoming(today, ALL_HOLIDAYS)
    assert [key for key, _ in ahead][:2] == ["labour_day", "dragon_boat"]
    assert all(today <= when < today + timedelta(days=366) for _, when in ahead)
    assert [when for _, when in ahead] == sorted(when for _, when in ahead)
    assert ("spring_festival", occasions.date_of("spring_festival", 2031)) in ahead
    assert occasions.upcoming(date(2030, 1, 1), ["new_year"]) == [("new_year", date(2030, 1, 1))]
    assert occasions.upcoming(today, ["valentine"]) == [("valentine", date(2031, 2, 14))]
    with pytest.raises(occasions.UnknownOccasion):
        occasions.date_of("christmas", 2030)


def test_29_february_birthdays() -> None:
    assert occasions.birthday_in(2, 29, 2031) == date(2031, 2, 28)
    assert occasions.birthday_in(2, 29, 2032) == date(2032, 2, 29)
    assert month_days_of(date(2031, 2, 28)) == [228, 229]  # common year: both greeted
    assert month_days_of(date(2032, 2, 28)) == [228]
    assert month_days_of(date(2032, 2, 29)) == [229]
    assert month_days_of(date(2032, 3, 1)) == [301]
