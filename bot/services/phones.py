"""Phone numbers: one canonical E.164 form in the database, friendly forms on screen.

`phonenumbers` (Google's libphonenumber metadata) decides validity, so a mainland mobile must be
11 digits starting with 1 and a landline needs its area code, without rules of our own.
"""

from __future__ import annotations

from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from bot.services.numbers import foreign_digits

__all__ = ["InvalidPhone", "PhoneErrorReason", "example_phone", "format_phone", "normalize_phone"]

PhoneErrorReason = Literal["empty", "letters", "not_a_number", "invalid"]


class InvalidPhone(ValueError):
    """Not a number we can call; `reason` picks the hint shown to the user."""

    def __init__(self, reason: PhoneErrorReason, raw: str = "") -> None:
        super().__init__(f"{reason}: {raw!r}")
        self.reason: PhoneErrorReason = reason
        self.raw = raw


def normalize_phone(raw: str, default_region: str = "CN", *, international: bool = False) -> str:
    """The E.164 form ("+8613812345678") of a typed or shared number, else InvalidPhone.

    Spaces, dashes, dots, parentheses, "+86", "0086" and a bare "86" prefix are understood.
    `international=True` is for Telegram's shared contacts, whose numbers always carry a
    country code but often no "+"; guessing that for typed text would turn a mistyped
    11-digit Chinese mobile into a valid North-American number.
    """
    text = raw.strip()
    if not text:
        raise InvalidPhone("empty", raw)
    if any(ch.isalpha() for ch in text):
        # libphonenumber maps letters to keypad digits ("1-800-FLOWERS"); a shop phone never
        # contains letters, so they are a typo or a name pasted into the wrong field.
        raise InvalidPhone("letters", raw)
    if foreign_digits(text):  # ① or ² would be dropped or misread, not refused
        raise InvalidPhone("invalid", raw)
    if international and not text.startswith(("+", "00")):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except NumberParseException as exc:
        raise InvalidPhone("not_a_number", raw) from exc
    if number.extension or not phonenumbers.is_valid_number(number):
        raise InvalidPhone("invalid", raw)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """International display form ("+86 138 1234 5678") of a stored E.164 number."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException as exc:
        raise InvalidPhone("not_a_number", e164) from exc
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def example_phone(region: str) -> str:
    """A plausible mobile number of `region` in national format ("131 2345 6789" for CN), to
    show the user what a good answer looks like."""
    number = phonenumbers.example_number_for_type(region.upper(), PhoneNumberType.MOBILE)
    if number is None:
        raise ValueError(f"no example phone number for region {region!r}")
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
