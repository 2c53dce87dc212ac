"""Locale-aware formatting of prices, distances and ratings (no Telegram, no database)."""

from __future__ import annotations

from html import escape

from bot.config import Config


def format_price(cents: int, config: Config) -> str:
    """Integer cents as money with the configured currency symbol: 2800 → ¥28.00."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{config.currency_symbol}{whole:,}.{frac:02d}"


def parse_price(text: str, max_units: int) -> int | None:
    """A typed price ("28", "28.5", "¥28.50") in cents, or None if it is not a valid price."""
    cleaned = text.strip().lstrip("¥$€￥").replace(",", "").strip()
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        return None
    cents = int(whole) * 100 + int(frac.ljust(2, "0") or 0)
    return cents if 0 <= cents <= max_units * 100 else None


def format_distance(metres: float, lang: str) -> str:
    if metres < 1000:
        return f"{round(metres)} m" if lang == "en" else f"{round(metres)} 米"
    return f"{metres / 1000:.1f} km" if lang == "en" else f"{metres / 1000:.1f} 公里"


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
