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


def test_a_coupon_refused_inside_a_purchase_says_why_in_the_staffs_language() -> None:
    """The ledger wraps a coupon's refusal (`CardError("coupon", coupon_reason=…)`); the counter
    shows the coupon's own reason, with money in the shop's currency, not a generic line."""
    from bot import i18n
    from bot.config import load_config
    from bot.services.cards import CardError
    from bot.views.counter import error_text

    config = load_config(env={})
    i18n.configure(config.languages, config.fallback_language)
    short = CardError("coupon", coupon_reason="min_spend", min_spend_cents=50_00)
    assert "at least ¥50.00" in error_text("en", short, "Asia/Shanghai", config)
    assert "满 ¥50.00" in error_text("zh_Hans", short, "Asia/Shanghai", config)
    other = CardError("coupon", coupon_reason="not_holder")
    assert "another customer" in error_text("en", other, "Asia/Shanghai", config)
    unknown = CardError("coupon", coupon_reason="something_new")
    assert "can't be used with this purchase" in error_text("en", unknown, "Asia/Shanghai", config)
