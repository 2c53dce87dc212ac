"""Coupon codes: random, readable, typo-proof; and the coupon card whose QR code is the link."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from bot.render.coupon import coupon_qr_png
from bot.services.codes import (
    ALPHABET,
    CODE_LENGTH,
    InvalidCode,
    display_code,
    generate_code,
    normalize_code,
    parse_code,
    redeem_payload,
    verify_check,
)

GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$")


def crockford_check(payload: str) -> int:
    """The reference: the payload as a base-32 number, modulo 37 (Crockford's spec)."""
    return int("".join(f"{ALPHABET.index(ch):05b}" for ch in payload), 2) % 37


payloads = st.text(alphabet=ALPHABET, min_size=CODE_LENGTH - 1, max_size=CODE_LENGTH - 1)
#: Codes as generate_code makes them, but drawn by hypothesis so failures replay and shrink.
codes = payloads.filter(lambda p: crockford_check(p) < 32).map(
    lambda p: display_code(p + ALPHABET[crockford_check(p)])
)


def decode(png: bytes) -> list[str]:
    return [
        result.text
        for result in zxingcpp.read_barcodes(
            Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
        )
    ]


def test_generated_codes_are_grouped_crockford_and_verify() -> None:
    drawn = {generate_code() for _ in range(2000)}
    assert len(drawn) == 2000  # 45 random bits: no repeats in a few thousand
    for code in drawn:
        assert GROUPED.match(code), code
        assert verify_check(code)
        assert crockford_check(normalize_code(code)[:-1]) == ALPHABET.index(code[-1])
        assert not set(code) & set("ILOU")
    # Every symbol shows up in every random position: nothing is stuck.
    for position in range(CODE_LENGTH - 1):
        assert {normalize_code(c)[position] for c in drawn} == set(ALPHABET)


@given(payloads)
def test_check_symbol_is_crockfords_mod_37(payload: str) -> None:
    check = crockford_check(payload)
    accepted = [ch for ch in ALPHABET if verify_check(payload + ch)]
    # Check values 32..36 (Crockford's *~$=U) cannot be typed into a deep link: no code has them.
    assert accepted == ([ALPHABET[check]] if check < 32 else [])


@given(codes, st.data())
def test_any_single_substitution_is_caught(code: str, data: st.DataObject) -> None:
    compact = normalize_code(code)
    position = data.draw(st.integers(0, len(compact) - 1))
    other = data.draw(st.sampled_from(ALPHABET).filter(lambda ch: ch != compact[position]))
    typo = compact[:position] + other + compact[position + 1 :]
    assert not verify_check(typo)
    with pytest.raises(InvalidCode) as excinfo:
        parse_code(typo)
    assert excinfo.value.reason == "bad_check"


@given(codes, st.data())
def test_any_adjacent_swap_is_caught(code: str, data: st.DataObject) -> None:
    compact = normalize_code(code)
    i = data.draw(
        st.integers(0, len(compact) - 2).filter(lambda i: compact[i] != compact[i + 1]),
    )
    swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
    assert not verify_check(swapped)


@given(codes)
def test_normalize_round_trips_what_people_type(code: str) -> None:
    compact = normalize_code(code)
    assert len(compact) == CODE_LENGTH and "-" not in compact
    assert display_code(compact) == code
    assert normalize_code(display_code(code)) == compact
    typed = " ".join(code.lower().split("-"))  # "7kq4 m2xd r9"
    assert parse_code(typed) == compact
    assert parse_code(f"  {code}\n") == compact
    assert parse_code(compact.replace("1", "l").replace("0", "O")) == compact
    assert parse_code(compact.replace("1", "I").replace("0", "o")) == compact
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code)  # a Chinese input method
    assert parse_code(full_width) == compact
    assert redeem_payload(code) == f"redeem_{compact}"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "malformed"),
        ("7KQ4-M2XD", "malformed"),
        ("7KQ4-M2XD-R9X", "malformed"),
        ("7KQ4-M2XD-U9", "malformed"),  # U is not a symbol
        ("7KQ4-M2XD-R*", "malformed"),  # nor Crockford's extra check symbols
        ("优惠券码-M2XD-R9", "malformed"),
    ],
)
def test_malformed_codes_are_refused_before_the_database(typed: str, reason: str) -> None:
    assert not verify_check(typed)
    with pytest.raises(InvalidCode) as excinfo:
        parse_code(typed)
    assert excinfo.value.reason == reason


def test_coupon_card_scans_to_the_link_and_prints_the_code() -> None:
    code = generate_code()
    link = f"https://t.me/TestShopBot?start={redeem_payload(code)}"
    assert len(redeem_payload(code)) <= 64
    png = coupon_qr_png(link, code, "满50减10 · Lao Wang Noodles")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert decode(png) == [link]
    # The code is printed below the QR code: dark pixels in the bottom band.
    width, height = image.size
    band = image.convert("L").crop((0, height - 120, width, height))
    assert band.getextrema()[0] < 100


def test_coupon_card_without_title_still_scans() -> None:
    link = "https://t.me/TestShopBot?start=redeem_7KQ4M2XDR9"
    assert decode(coupon_qr_png(link, "7KQ4-M2XD-R9", "")) == [link]
