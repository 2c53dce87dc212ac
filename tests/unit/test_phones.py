"""Phone numbers typed by merchants or shared as Telegram contacts."""

from __future__ import annotations

import pytest

from bot.services.phones import InvalidPhone, example_phone, format_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("(138) 1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("+86-13812345678", "+8613812345678"),
        ("0086 138 1234 5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),  # shared contact without "+"
        (" +8613812345678 ", "+8613812345678"),
        ("010-12345678", "+861012345678"),  # Beijing landline
        ("(021) 6234 5678", "+862162345678"),  # Shanghai landline
        ("0755-86001234", "+8675586001234"),  # Shenzhen landline
        ("+86 10 1234 5678", "+861012345678"),
        ("400-810-8888", "+864008108888"),  # nationwide service number
        ("+1 650-253-0000", "+16502530000"),  # a foreign number with its country code
    ],
)
def test_normalize_accepts(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1381234567", "invalid"),  # 10-digit mobile
        ("138123456789", "invalid"),  # 12-digit mobile
        ("+86 138123456789", "invalid"),
        ("12345678901", "invalid"),  # 11 digits but no such mobile prefix
        ("23812345678", "invalid"),  # 11 digits not starting with 1
        ("12345", "invalid"),
        ("1-800-FLOWERS", "letters"),
        ("138abc45678", "letters"),
        ("tel 13812345678", "letters"),
        ("13812345678 ext 12", "letters"),
        ("", "empty"),
        ("   ", "empty"),
        ("+", "not_a_number"),
        ("---", "not_a_number"),
    ],
)
def test_normalize_refuses(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(raw)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


def test_region_decides_numbers_without_country_code() -> None:
    assert normalize_phone("(650) 253-0000", "US") == "+16502530000"
    assert normalize_phone("650 253 0000", default_region="us") == "+16502530000"
    with pytest.raises(InvalidPhone):
        normalize_phone("(650) 253-0000")  # not a Chinese number


def test_shared_contacts_of_other_countries() -> None:
    assert normalize_phone("447911123456", international=True) == "+447911123456"
    assert normalize_phone("+447911123456", international=True) == "+447911123456"
    assert normalize_phone("8613812345678", international=True) == "+8613812345678"
    with pytest.raises(InvalidPhone):
        normalize_phone("447911123456")  # typed: read as a (bad) Chinese number


def test_typo_is_not_guessed_into_another_country() -> None:
    # "+1 234 567 8901" would be a valid US number; a typed CN number must not become one.
    with pytest.raises(InvalidPhone):
        normalize_phone("12345678901")


def test_format_phone_for_display() -> None:
    assert format_phone("+8613812345678") == "+86 138 1234 5678"
    assert format_phone("+861012345678") == "+86 10 1234 5678"
    assert format_phone(normalize_phone("+1 650 253 0000")) == "+1 650-253-0000"
    with pytest.raises(InvalidPhone):
        format_phone("not a phone")


def test_example_phone_is_a_valid_national_mobile() -> None:
    example = example_phone("CN")
    assert not example.startswith("+")
    digits = example.replace(" ", "")
    assert len(digits) == 11 and digits.startswith("1")
    assert normalize_phone(example) == "+86" + digits
    assert normalize_phone(example_phone("gb"), "GB").startswith("+447")


def test_example_phone_unknown_region() -> None:
    with pytest.raises(ValueError):
        example_phone("XX")
