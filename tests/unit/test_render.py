"""QR code and poster pictures: they decode to the link, fit the page and draw Chinese."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, ImageChops

from bot.render import Poster, poster_png, qr_png, renders
from bot.render.qr import POSTER_SIZE, _font, _wrap

LINK = "https://t.me/TestShopBot?start=shop_42"


def decode(png: bytes) -> list[str]:
    return [
        result.text
        for result in zxingcpp.read_barcodes(
            Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
        )
    ]


def poster(**changes: str) -> Poster:
    texts = {
        "title": "Lao Wang Noodles",
        "subtitle": "Dining",
        "headline": "Scan to see our services and offers",
        "link": LINK,
        "footer": "Point your phone camera at the code",
    }
    return Poster(**(texts | changes))


def test_qr_png_decodes_to_its_data() -> None:
    png = qr_png(LINK, module_px=6)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == image.height
    assert decode(png) == [LINK]


def test_poster_is_a_printable_page_whose_code_is_the_link() -> None:
    png = poster_png(poster())
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", POSTER_SIZE)
    assert round(image.info["dpi"][0]) == 213
    assert decode(png) == [LINK]


def test_chinese_is_drawn_not_boxes() -> None:
    assert renders("扫码查看我们的服务和优惠"), (
        "a CJK font is needed: pip install noto-cjk-sans-otc"
    )
    assert renders("🍜 餐饮")  # emoji are left out, not counted
    assert not renders("𐌰")  # a Gothic letter: no poster font has it
    chinese = Image.open(io.BytesIO(poster_png(poster(headline="扫码查看我们的服务和优惠"))))
    # A private-use letter no font draws is left out, so this headline is blank.
    blank = Image.open(io.BytesIO(poster_png(poster(headline="\ue000"))))
    diff = ImageChops.difference(chinese.convert("L"), blank.convert("L")).getbbox()
    assert diff is not None
    left, top, right, bottom = diff
    assert right - left > 400 and bottom - top > 40  # a whole line of characters


def test_long_names_and_emoji_still_fit_and_scan() -> None:
    long_title = "老王手工拉面馆 Lao Wang's Hand-pulled Noodles and Dumplings since 1998 " * 2
    png = poster_png(poster(title=long_title, subtitle="🍜 餐饮", footer=""))
    assert decode(png) == [LINK]
    assert decode(poster_png(poster(title="🍜🍜🍜"))) == [LINK]


def test_wrap_breaks_words_cjk_and_overlong_links() -> None:
    font = _font(40)
    words = _wrap("Scan to see our services and offers", font, 300)
    assert len(words) > 1 and all(font.getlength(line) <= 300 for line in words)
    assert " ".join(words) == "Scan to see our services and offers"
    cjk = _wrap("扫码查看我们的服务和优惠", font, 200)
    assert len(cjk) > 1 and "".join(cjk) == "扫码查看我们的服务和优惠"
    link = _wrap(LINK, font, 250)
    assert "".join(link) == LINK and all(font.getlength(line) <= 250 for line in link)


def test_without_a_cjk_font_the_poster_falls_back_to_english(monkeypatch) -> None:
    from types import SimpleNamespace

    from bot.handlers.poster import poster_for
    from bot.render import qr

    latin = qr._matplotlib_fonts() or [("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0)]
    monkeypatch.setattr(qr, "_font_file", lambda: latin[0])
    qr._font.cache_clear()
    try:
        assert not renders("扫码") and renders("Scan")
        shop = SimpleNamespace(name="Lao Wang", category="dining")
        texts = poster_for(shop, LINK, "zh_Hans")  # type: ignore[arg-type]
        assert (texts.headline, texts.subtitle) == (
            "Scan to see our services and offers",
            "🍜 Dining",
        )
        assert decode(poster_png(texts)) == [LINK]
    finally:
        qr._font.cache_clear()
