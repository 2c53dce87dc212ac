"""Merchants: /poster sends the shop's deep link and a printable QR poster that scans to it."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from PIL import Image

from bot.handlers.poster import poster_for
from bot.models import Shop
from bot.render import poster_png
from bot.render.qr import POSTER_SIZE
from bot.services.shops import ShopDraft, create_shop
from bot.services.users import ensure_user
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser


async def merchant(
    tg: FakeTelegram, user_id: int, *names: str, lang: str = "en", approved: bool = True
) -> tuple[FakeUser, list[Shop]]:
    user = tg.user(user_id, first_name="Wang", language_code=lang)
    await ensure_user(user_id, "Wang", None, lang)
    shops = [
        await create_shop(
            user_id,
            ShopDraft(name=name, category="dining", lat=31.23, lng=121.47),
            require_approval=not approved,
        )
        for name in names
    ]
    return user, shops


def decoded(poster: BotMessage) -> list[str]:
    assert poster.method == "sendDocument" and poster.document is not None
    image = Image.open(io.BytesIO(poster.document))
    assert (image.format, image.size) == ("PNG", POSTER_SIZE)
    return [
        result.text
        for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]


async def test_poster_scans_to_the_shop_deep_link(bot, tg: FakeTelegram) -> None:
    wang, [shop] = await merchant(tg, 20, "Lao Wang Noodles")
    link = f"https://t.me/{tg.bot_username}?start=shop_{shop.id}"
    await wang.send("/poster")
    poster = await wang.reply()
    assert decoded(poster) == [link]
    assert poster.document_name == f"poster-shop-{shop.id}.png"
    assert "Lao Wang Noodles" in poster.caption and link in poster.caption
    assert "approval" not in poster.caption
    assert poster.document == poster_png(poster_for(shop, link, "en"))
    assert poster_for(shop, link, "en").headline == "Scan to see our services and offers"

    # A customer's phone camera opens the link: Telegram sends /start with its payload.
    payload = parse_qs(urlsplit(decoded(poster)[0]).query)["start"][0]
    ann = tg.user(25, first_name="Ann", language_code="en")
    await ann.send(f"/start {payload}")
    await ann.wait_for(lambda: any("Lao Wang Noodles" in m.body for m in ann.inbox))


async def test_pending_shop_in_chinese_gets_a_chinese_poster(bot, tg: FakeTelegram) -> None:
    li, [shop] = await merchant(tg, 21, "李记洗衣", lang="zh-hans", approved=False)
    link = f"https://t.me/{tg.bot_username}?start=shop_{shop.id}"
    await li.send("/poster")
    poster = await li.reply()
    assert decoded(poster) == [link]
    assert "李记洗衣" in poster.caption and "还在等待审核" in poster.caption
    chinese = poster_for(shop, link, "zh_Hans")
    assert (chinese.headline, chinese.subtitle) == ("扫码查看我们的服务和优惠", "🍜 餐饮")
    # The picture is exactly the Chinese poster (pixel for pixel), not the English one.
    assert poster.document == poster_png(chinese)
    assert poster.document != poster_png(poster_for(shop, link, "en"))


async def test_several_shops_pick_one_and_buttons_are_checked(bot, tg: FakeTelegram) -> None:
    wang, [_, laundry] = await merchant(tg, 22, "Lao Wang Noodles", "Wang Laundry")
    _, [rival] = await merchant(tg, 23, "Rival Noodles")
    await wang.send("/poster")
    picker = await wang.reply()
    assert picker.button_texts == ["Lao Wang Noodles", "Wang Laundry"]
    await wang.press(picker, text="Wang Laundry")
    assert decoded(await wang.reply()) == [
        f"https://t.me/{tg.bot_username}?start=shop_{laundry.id}"
    ]
    for forged in (f"poster:{rival.id}", "poster:abc", f"poster:{rival.id + 50}", "poster:"):
        await wang.press_data(picker.message_id, forged)
        assert "expired" in (await wang.callback_answer())["text"], forged
    assert wang.last is not None and wang.last.method == "sendDocument"
    assert len([m for m in wang.inbox if m.method == "sendDocument"]) == 1


async def test_consumers_are_told_poster_is_for_merchants(bot, tg: FakeTelegram) -> None:
    ann = tg.user(24, first_name="Ann", language_code="en")
    await ann.send("/poster")
    assert "for shop owners and their staff" in (await ann.reply()).text
