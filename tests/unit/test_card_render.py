"""The membership card face: its QR decodes with zxing-cpp (as the counter does), it stays
within Telegram-friendly bounds, long names are shortened, Chinese draws, text reads on any
tier colour."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image, ImageChops

from bot.render.card import (
    CARD_SIZE,
    CardFace,
    contrast_ratio,
    group_number,
    parse_colour,
    render_card,
    text_colour,
)

LINK = "https://t.me/TestShopBot?start=card_" + "Ab3-_x" * 6 + "Zq9z"  # 40-character token


def decode(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def photo(
    colour: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (600, 300)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def face(**changes: object) -> CardFace:
    values: dict[str, object] = {
        "shop_name": "Lao Wang Noodles",
        "shop_photo": photo(),
        "tier_name": "Gold",
        "colour": "#D4AF37",
        "member_number": "8800123456782",
        "qr_payload": LINK,
        "labels": {"number": "Member No.", "tier": "Tier"},
    }
    return CardFace(**(values | changes))  # type: ignore[arg-type]


def differs(a: bytes, b: bytes) -> tuple[int, int, int, int] | None:
    left = Image.open(io.BytesIO(a)).convert("RGB")
    right = Image.open(io.BytesIO(b)).convert("RGB")
    return ImageChops.difference(left, right).getbbox()


@pytest.mark.parametrize("colour", ["#D4AF37", "#1E3A8A", "#C0C0C0", "#111827", "#FFFFFF", "bad"])
def test_the_card_qr_decodes_to_its_deep_link_on_every_colour(colour: str) -> None:
    png = render_card(face(colour=colour))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == CARD_SIZE
    assert image.width <= 1280 and image.width > image.height  # card-shaped, landscape
    assert decode(png) == [LINK]


def test_a_photographed_card_still_scans() -> None:
    """The counter decodes phone photos: a smaller, recompressed copy still reads."""
    image = Image.open(io.BytesIO(render_card(face()))).resize((640, 403))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=60)
    assert decode(buffer.getvalue()) == [LINK]


def test_no_payload_draws_no_code() -> None:
    assert decode(render_card(face(qr_payload=None))) == []


def test_long_shop_names_are_shortened_and_the_code_still_scans() -> None:
    long_name = "老王手工拉面馆 Lao Wang's Hand-pulled Noodles and Dumplings since 1998 " * 3
    png = render_card(face(shop_name=long_name, tier_name="Platinum Black Diamond Club"))
    assert decode(png) == [LINK]
    # Shortened, not overflowing: nothing drawn over the code's panel changes with the name.
    short = render_card(face(shop_name="Lao"))
    box = differs(png, short)
    assert box is not None
    qr_left = CARD_SIZE[0] - 56 + 8 - 400
    assert box[2] <= qr_left, "the name ran into the QR code"


def test_chinese_names_and_tiers_are_drawn() -> None:
    chinese = render_card(face(shop_name="金发屋美发沙龙", tier_name="金卡会员"))
    blank = render_card(face(shop_name="\ue000", tier_name="\ue000"))  # letters no font has
    box = differs(chinese, blank)
    assert box is not None
    left, top, right, bottom = box
    assert right - left > 150 and bottom - top > 200  # name at the top, tier near the bottom
    assert decode(chinese) == [LINK]


def test_the_photo_is_drawn_and_a_broken_photo_is_left_out() -> None:
    red, blue = (
        render_card(face(shop_photo=photo((220, 0, 0)))),
        render_card(face(shop_photo=photo((0, 0, 220), size=(200, 800)))),
    )
    assert differs(red, blue) is not None
    pixel = Image.open(io.BytesIO(red)).convert("RGB").getpixel((56 + 66, 56 + 66))
    assert pixel[0] > 180 and pixel[2] < 60  # the photo's centre, cropped into a square
    assert decode(render_card(face(shop_photo=b"not a picture"))) == [LINK]


def test_text_colour_is_the_more_readable_one() -> None:
    for colour in ["#D4AF37", "#1E3A8A", "#C0C0C0", "#111827", "#FFFFFF", "#0F766E", "#DC2626"]:
        background = parse_colour(colour)
        ink = text_colour(background)
        other = (255, 255, 255) if ink != (255, 255, 255) else (17, 24, 39)
        assert contrast_ratio(ink, background) >= contrast_ratio(other, background)
        assert contrast_ratio(ink, background) >= 4.5
    assert text_colour(parse_colour("#FFFFFF")) != (255, 255, 255)
    assert text_colour(parse_colour("#111827")) == (255, 255, 255)


def test_member_numbers_are_grouped_for_reading() -> None:
    assert group_number("8800123456782") == "8800 1234 5678 2"
    assert group_number(" 8800 1234 ") == "8800 1234"
    assert group_number("") == ""
