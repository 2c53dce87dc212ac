"""Text that would show nothing on screen counts as empty at every name and title step."""

from __future__ import annotations

import pytest

from bot.services.catalog import CatalogError, Limits
from bot.services.coupons import CouponError, clean_title
from bot.services.reviews import clean_text as review_text
from bot.services.shops import ShopError, clean_text
from bot.services.visible import is_blank

BLANK = {
    "zero-width space": "\u200b",
    "zero-width joiner and non-joiner": "\u200d\u200c",
    "word joiner and BOM": "\u2060\ufeff",
    "bidi override and isolate": "\u202e\u2066\u2069\u202c",
    "left-to-right and right-to-left marks": "\u200e\u200f\u061c",
    "variation selectors": "\ufe0f\ufe0e\U000e0100",
    "tag characters": "\U000e0041\U000e007f",
    "combining accents": "\u0301\u0308",
    "combining grapheme joiner": "\u034f",
    "ideographic and no-break spaces": "\u3000\u00a0\u2007",
    "line and paragraph separators": "\u2028\u2029",
    "Mongolian vowel separator": "\u180e",
    "Hangul fillers": "\u3164\u115f\u1160\uffa0",
    "Braille blank": "\u2800",
    "soft hyphen": "\u00ad",
    "mixed with spaces": " \u200b \u202e ",
}
VISIBLE = ["A", "老王面馆", "\u200bAnn", "🍜", "❤️", "e\u0301", "٣", "\u202eNoodles", "-"]


@pytest.mark.parametrize("name", BLANK)
def test_invisible_text_is_blank(name: str) -> None:
    text = BLANK[name]
    assert is_blank(text)
    with pytest.raises(ShopError, match="empty"):
        clean_text(text, 64)
    with pytest.raises(CatalogError, match="name_empty"):
        Limits().name(text)
    with pytest.raises(CouponError, match="bad_title"):
        clean_title(text)
    assert review_text(text, 1000) == ""


@pytest.mark.parametrize("text", VISIBLE)
def test_text_with_anything_visible_is_kept(text: str) -> None:
    assert not is_blank(text)
    assert clean_text(text, 64) == text
    assert Limits().name(text) == text
    assert clean_title(text) == text


def test_empty_text_is_blank() -> None:
    assert is_blank("")
