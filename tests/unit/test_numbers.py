"""Which characters count as digits at every numeric step: ASCII and full-width, nothing else."""

from __future__ import annotations

import sys
import unicodedata
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.flows.coupons import ValidityError, parse_validity
from bot.formatting import parse_price
from bot.services.geocoding import parse_coordinates
from bot.services.hours import HoursSyntaxError, parse_hours
from bot.services.numbers import ascii_digits, foreign_digits, parse_scaled, parse_whole
from bot.services.phones import InvalidPhone, normalize_phone
from bot.services.users import InvalidProfileValue, parse_birthday
from bot.ui.base import int_arg

#: Characters Unicode calls digits or numbers that people may paste or type by mistake.
FOREIGN = {
    "superscript two": "²",
    "subscript two": "₂",
    "circled one": "①",
    "circled twenty": "⑳",
    "parenthesized one": "⑴",
    "Arabic-Indic three": "٣",
    "extended Arabic-Indic three": "۳",
    "Devanagari three": "३",
    "Bengali three": "৩",
    "Thai three": "๓",
    "mathematical bold one": "𝟏",
    "vulgar fraction one half": "½",
    "Roman numeral twelve": "Ⅻ",
    "dingbat negative circled one": "❶",
}
TODAY = date(2026, 6, 1)


def test_full_width_digits_are_ascii_digits() -> None:
    assert ascii_digits("１２３．４５，６") == "123.45,6"
    assert parse_whole("１２３") == 123
    assert parse_whole("1，000") == 1000
    assert parse_whole(" 1 000 ") == 1000
    assert parse_whole("1,000", grouping=False) is None
    assert parse_scaled("２８．５", 2) == 2850
    assert parse_scaled("1，028．50", 2) == 102850
    assert parse_price("￥２８．５", 1000) == 2850


@pytest.mark.parametrize("name", FOREIGN)
def test_other_digit_systems_are_not_numbers(name: str) -> None:
    ch = FOREIGN[name]
    assert foreign_digits(f"1{ch}") == ch
    assert parse_whole(ch) is None
    assert parse_whole(f"1{ch}") is None
    assert parse_scaled(f"2{ch}.5", 2) is None
    assert parse_scaled(f"2.{ch}", 2) is None
    assert parse_price(f"¥{ch}0", 1000) is None
    assert int_arg(ch) is None
    assert int_arg(f"1{ch}") is None


@pytest.mark.parametrize("name", FOREIGN)
def test_every_numeric_parser_refuses_them_politely(name: str) -> None:
    """The refusal each step turns into its usual hint, never a ValueError."""
    ch = FOREIGN[name]
    with pytest.raises(InvalidProfileValue):
        parse_birthday(f"1990-5-2{ch}", TODAY)
    with pytest.raises(HoursSyntaxError) as hours:
        parse_hours(f"Mon-Fri 0{ch}:00-21:00")
    assert hours.value.reason == "bad_time"
    with pytest.raises(ValidityError):
        parse_validity(f"3{ch}", ZoneInfo("Asia/Shanghai"), TODAY)
    with pytest.raises(ValidityError):
        parse_validity(f"2026-12-3{ch}", ZoneInfo("Asia/Shanghai"), TODAY)
    with pytest.raises(InvalidPhone):
        normalize_phone(f"131234567{ch}8", "CN")
    assert parse_coordinates(f"31.2{ch}, 121.47") is None  # then tried as an address


def test_full_width_input_works_at_the_text_steps() -> None:
    assert parse_birthday("１９９０年５月２１日", TODAY) == date(1990, 5, 21)
    assert parse_validity("３０", ZoneInfo("UTC"), TODAY).valid_days == 30
    assert normalize_phone("１３１ ２３４５ ６７８９", "CN") == "+8613123456789"
    assert parse_coordinates("３１．２３，１２１．４７") == (31.23, 121.47)
    assert parse_hours("周一至周五 ０９：００－２１：００") == parse_hours("周一至周五 09:00-21:00")


def test_ids_must_fit_a_32_bit_column() -> None:
    assert int_arg("0") == 0
    assert int_arg("2147483647") == 2**31 - 1
    assert int_arg("2147483648") is None
    assert int_arg("-1") is None
    assert int_arg("9" * 5000) is None
    assert int_arg("１２") is None  # ids are machine-made: ASCII only
    assert int_arg("") is None


def _numeric_chars() -> list[str]:
    return [
        ch
        for ch in map(chr, range(sys.maxunicode + 1))
        if unicodedata.category(ch)[0] == "N" and not ("0" <= ch <= "9" or "０" <= ch <= "９")
    ]


def test_no_numeric_character_of_unicode_slips_through() -> None:
    for ch in _numeric_chars():
        assert parse_whole(f"1{ch}") is None, repr(ch)
        assert parse_scaled(f"1{ch}", 2) is None, repr(ch)
        assert foreign_digits(ch) == ch


@given(st.text(max_size=40))
def test_parsers_never_raise(text: str) -> None:
    parse_whole(text)
    parse_scaled(text, 2)
    parse_price(text, 1_000_000)
    int_arg(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_ascii_and_full_width_numbers_read_the_same(n: int) -> None:
    wide = str(n).translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)})
    assert parse_whole(str(n)) == parse_whole(wide) == n
    assert parse_scaled(f"{wide}．５", 1) == n * 10 + 5
