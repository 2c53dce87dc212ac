"""Coupon codes people can read aloud, type and scan.

A code is 9 random Crockford base32 symbols (no I, L, O, U: nothing to confuse with 1 and 0,
no accidental words) plus Crockford's mod-37 check symbol, shown grouped as `7KQ4-M2XD-R9`.
37 is prime and coprime with 32, 31 and 1023, so the check catches every single wrong
symbol and every swap of two neighbours, or of two symbols one apart, before the database is
asked. Crockford spells check values 32..36 with `*~$=U`, which Telegram deep links do not
allow (and U is left out above), so codes are drawn until their check value is one of the 32
plain symbols: the check is exactly Crockford's, and about 44.8 of the 45 bits stay random.

Codes are stored compact (no dashes); the `redeem_<code>` deep link carries the code itself,
the unguessable token: there is no id in it to edit into someone else's coupon.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_MODULUS = 37
PAYLOAD_LENGTH = 9  # 45 random bits
CODE_LENGTH = PAYLOAD_LENGTH + 1
GROUPS = (4, 4, 2)
REDEEM_LINK_KIND = "redeem"  # the /start payload is `redeem_<code>`

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
#: What people and apps put between groups: any whitespace, dashes of every width, `_`.
_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015\u2212\u30fc\uff0d]+")


class InvalidCode(ValueError):
    """A typed code that cannot be one we issued: `reason` is `malformed` (wrong length or
    letters) or `bad_check` (a typo the check symbol caught)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def generate_code() -> str:
    """A fresh random code in its grouped, readable form, e.g. `7KQ4-M2XD-R9`."""
    while True:
        payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
        check = _check_value(payload)
        if check < len(ALPHABET):
            return display_code(payload + ALPHABET[check])


def normalize_code(typed: str) -> str:
    """The compact form of a typed or scanned code: upper case, without spaces or dashes, the
    look-alikes I and L read as 1 and O as 0 (Crockford's rule), full-width characters as
    their ASCII twins. Does not validate."""
    # NFKC turns full-width letters and digits (typed with a Chinese input method) into ASCII.
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper().translate(_LOOKALIKES)


def verify_check(code: str) -> bool:
    """Whether a code (any form) has the right length, symbols and check symbol."""
    compact = normalize_code(code)
    if len(compact) != CODE_LENGTH or any(ch not in _VALUES for ch in compact):
        return False
    return _check_value(compact[:-1]) == _VALUES[compact[-1]]


def parse_code(typed: str) -> str:
    """The compact code, or InvalidCode saying why a typed code cannot be ours."""
    compact = normalize_code(typed)
    if len(compact) != CODE_LENGTH or any(ch not in _VALUES for ch in compact):
        raise InvalidCode("malformed")
    if not verify_check(compact):
        raise InvalidCode("bad_check")
    return compact


def display_code(code: str) -> str:
    """The grouped form people read: `7KQ4M2XDR9` -> `7KQ4-M2XD-R9`."""
    compact = normalize_code(code)
    parts, start = [], 0
    for size in GROUPS:
        parts.append(compact[start : start + size])
        start += size
    parts.append(compact[start:])
    return "-".join(part for part in parts if part)


def redeem_payload(code: str) -> str:
    """The /start payload of a coupon's QR code: `redeem_<compact code>` (≤ 64 characters,
    only letters, digits and `_` as Telegram requires)."""
    return f"{REDEEM_LINK_KIND}_{normalize_code(code)}"


def _check_value(payload: str) -> int:
    """Crockford's check: the payload read as a base-32 number, modulo 37."""
    number = 0
    for ch in payload:
        number = number * len(ALPHABET) + _VALUES[ch]
    return number % CHECK_MODULUS
