"""What staff scan or type at the counter is read as a coupon, a card or a member number."""

from __future__ import annotations

from bot.render.card import CardFace, render_card
from bot.render.coupon import coupon_qr_png
from bot.services.codes import generate_code, normalize_code
from bot.views.redeem import Scan, decode_qr, read_qr_text, read_typed


def test_typed_digits_are_a_member_number_and_codes_are_coupons() -> None:
    assert read_typed("6200 1234 56") == Scan("number", "6200123456")
    assert read_typed("６２００１２３４５６") == Scan("number", "6200123456")
    code = generate_code()
    assert read_typed(code) == Scan("coupon", code)
    assert read_typed("hello") == Scan("coupon", "hello")  # the coupon service says why not


def test_links_name_cards_and_coupons() -> None:
    assert read_typed("https://t.me/b?start=card_AbC-9_x") == Scan("card", "AbC-9_x")
    assert read_qr_text("https://t.me/b?start=redeem_7KQ4M2XDR9") == Scan("coupon", "7KQ4M2XDR9")
    assert read_qr_text("WIFI:S:shop;T:WPA;P:secret;;") is None


def test_card_and_coupon_pictures_decode() -> None:
    face = CardFace(
        "Noodles", None, "Gold", "#d4af37", "6200123456", "https://t.me/b?start=card_tok3n"
    )
    assert decode_qr(render_card(face)) == Scan("card", "tok3n")
    code = normalize_code(generate_code())
    png = coupon_qr_png(f"https://t.me/b?start=redeem_{code}", code, "Tea")
    assert decode_qr(png) == Scan("coupon", code)
    assert decode_qr(b"not a picture") is None
