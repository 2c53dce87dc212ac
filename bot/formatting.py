"""Locale-aware formatting of prices, distances, opening hours and ratings (no Telegram, no
database); words and units come from the catalogues."""

from __future__ import annotations

from html import escape

from bot.config import Config
from bot.i18n import t
from bot.services.hours import WeeklyHours, hhmm
from bot.services.numbers import parse_scaled

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def format_price(cents: int, config: Config) -> str:
    """Integer cents as money with the configured currency symbol: 2800 → ¥28.00."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{config.currency_symbol}{whole:,}.{frac:02d}"


def parse_price(text: str, max_units: int) -> int | None:
    """A typed price ("28", "28.5", "¥28.50", "２８．５") in cents, or None if it is not a valid
    price (see bot.services.numbers for which digits count)."""
    cents = parse_scaled(text.strip().lstrip("¥$€￥").strip(), places=2)
    return cents if cents is not None and cents <= max_units * 100 else None


def format_distance(metres: float, lang: str, *, exact: bool = True) -> str:
    """'350 m', '1.5 km', '2.0 km'; `exact=False` drops a needless '.0' ('2 km', a radius)."""
    if metres < 1000:
        return t(lang, "unit.metres", n=round(metres))
    km = f"{metres / 1000:.1f}" if exact else f"{metres / 1000:g}"
    return t(lang, "unit.km", n=km)


def weekday_name(weekday: int, lang: str) -> str:
    """Monday is 0, as in `datetime.weekday()`."""
    return t(lang, f"weekday.{WEEKDAYS[weekday]}")


def format_hours(hours: WeeklyHours, lang: str) -> list[str]:
    """One line per run of days with equal hours, e.g. "Mon–Fri 09:00–21:00" (the lines parse
    back to the same hours in every language)."""
    lines = []
    for first, last, intervals in hours.runs():
        if (first, last) == (0, 6):
            when = t(lang, "hours.every_day")
        elif first == last:
            when = weekday_name(first, lang)
        else:
            start, end = weekday_name(first, lang), weekday_name(last, lang)
            when = t(lang, "hours.day_range", first=start, last=end)
        if intervals:
            spans = t(lang, "hours.separator").join(f"{hhmm(s)}–{hhmm(e)}" for s, e in intervals)
        else:
            spans = t(lang, "hours.closed")
        lines.append(f"{when} {spans}")
    return lines


def format_rating(rating_sum: int, rating_count: int) -> str:
    """'★ 4.5 (12)' or '' when nobody has rated yet."""
    if not rating_count:
        return ""
    return f"★ {rating_sum / rating_count:.1f} ({rating_count})"


def stars(n: int) -> str:
    return "★" * n + "☆" * (5 - n)


def h(text: str) -> str:
    """Escape user text for HTML parse mode."""
    return escape(text, quote=False)
