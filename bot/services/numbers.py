"""Numbers as people type them, for every numeric step (prices, percentages, stock, limits,
minutes, days, dates, times, coordinates).

Accepted: ASCII digits, and the full-width digits a Chinese keyboard types (１２３, with the
full-width `．` as decimal point and `，` as thousands separator where decimals are allowed).
Refused: everything else Unicode calls a digit or a number — superscripts (²), circled (①),
Arabic-Indic (٣), Devanagari (३), fractions (½), Roman numerals (Ⅻ)... `int()` accepts some of
them and raises ValueError on others; here they are simply not a number, and the step asks again
with its usual hint.
"""

from __future__ import annotations

import re
import unicodedata

#: Full-width digits and the punctuation typed around them, as their ASCII twins.
_FULL_WIDTH = str.maketrans(
    {chr(0xFF10 + n): str(n) for n in range(10)}
    | {"．": ".", "，": ",", "＋": "+", "－": "-", "\u3000": " "}
)
_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"([0-9]+)(?:\.([0-9]*))?")
#: More digits than any quantity the bot takes (and far below int()'s 4300-digit limit).
MAX_DIGITS = 15


def ascii_digits(text: str) -> str:
    """`text` with full-width digits and number punctuation folded to ASCII; other characters
    (including other digit systems) are left alone for the parsers to refuse."""
    return text.translate(_FULL_WIDTH)


def foreign_digits(text: str) -> str:
    """The digit or number characters in `text` other than ASCII and full-width digits (², ①,
    ٣, ½, Ⅻ...), '' if none. Steps that read numbers out of free text (hours, dates) refuse
    text that has any."""
    folded = ascii_digits(text)
    return "".join(
        ch for ch in folded if unicodedata.category(ch)[0] == "N" and not "0" <= ch <= "9"
    )


def parse_whole(text: str, *, grouping: bool = True) -> int | None:
    """A typed whole number ≥ 0 ("12", "１２", "1,000", "1 000"), or None.

    `grouping` allows thousands separators and spaces between the digits."""
    cleaned = ascii_digits(text).strip()
    if grouping:
        cleaned = re.sub(r"[\s,]", "", cleaned)
    if len(cleaned) > MAX_DIGITS or not _WHOLE.fullmatch(cleaned):
        return None
    return int(cleaned)


def parse_scaled(text: str, places: int) -> int | None:
    """A typed decimal ≥ 0 as an integer in units of 10**-places ("28.5" → 2850 with places=2;
    "２８．５", "1,028.50" too), or None; more decimals than `places` is not a valid amount."""
    cleaned = ascii_digits(text).strip().replace(",", "")
    match = _DECIMAL.fullmatch(cleaned)
    if match is None or len(match[1]) > MAX_DIGITS:
        return None
    whole, frac = match[1], match[2] or ""
    if len(frac) > places:
        return None
    return int(whole) * 10**places + int(frac.ljust(places, "0") or 0)
