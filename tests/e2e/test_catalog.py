"""Merchants: services and products through /services — add, edit, hide, delete, rights."""

from __future__ import annotations

import io

from PIL import Image

from bot.clock import now
from bot.config import Config
from bot.models import Service, Shop
from bot.services import catalog
from bot.services.catalog import Limits, ServiceDraft
from bot.services.shops import ShopDraft, create_shop
from bot.services.users import ensure_user
from bot.views.shop import card_for, page_text
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser


async def merchant(
    tg: FakeTelegram, user_id: int, *shop_names: str, lang: str = "en"
) -> tuple[FakeUser, list[Shop]]:
    """A Telegram user owning approved shops, made through the service layer."""
    user = tg.user(user_id, first_name="Wang", language_code=lang)
    await ensure_user(user_id, "Wang", None, lang)
    shops = [
        await create_shop(
            user_id,
            ShopDraft(name=name, category="dining", lat=31.23, lng=121.47),
            require_approval=False,
        )
        for name in shop_names or ("Lao Wang Noodles",)
    ]
    return user, shops


async def add(shop: Shop, name: str, cents: int, config: Config, **more: str) -> Service:
    return await catalog.add_service(shop.id, ServiceDraft(name, cents, **more), Limits.of(config))


async def customer_page(shop: Shop, config: Config) -> str:
    return page_text(await card_for(shop), "en", config, now())


async def changed(user: FakeUser, msg: BotMessage, button: str) -> BotMessage:
    """Press a button of a catalogue screen and wait until the screen changed in place."""
    before = len(msg.edits)
    await user.press(msg, text=button)
    await user.wait_for(lambda: len(msg.edits) > before)
    return msg


def a_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_add_a_service_re_asks_bad_prices(bot, tg: FakeTelegram) -> None:
    wang, [shop] = await merchant(tg, 10)
    await wang.send("/services")
    listing = await wang.reply()
    assert "No services yet" in listing.text
    await wang.press(listing, text="➕ Add a service")
    assert "What is the service or product called?" in (await wang.reply()).text
    await wang.send("Beef noodles")
    ask_price = await wang.reply()
    assert "How much is Beef noodles?" in ask_price.text
    assert ask_price.reply_keyboard == [["✖️ Cancel"]]
    for typed in ("abc", "-5", "28.555"):
        await wang.send(typed)
        assert "doesn't look like a price" in (await wang.reply()).text
    await wang.send("2000000")
    assert "too high" in (await wang.reply()).text and "¥1,000,000.00" in wang.last.text
    assert not await Service.exists()
    await wang.send("¥28.5")
    ask_description = await wang.reply()
    assert "description" in ask_description.text
    assert ask_description.reply_keyboard == [["Skip"], ["✖️ Cancel"]]
    await wang.send("Hand-pulled, with coriander")
    assert "Send a photo" in (await wang.reply()).text
    await wang.send_photo(a_photo())
    added, listing = await wang.replies(2)
    assert "Added “Beef noodles” — ¥28.50" in added.text
    assert "🏪 My shop" in str(added.reply_keyboard)  # the main menu is back
    assert "1. Beef noodles — ¥28.50" in listing.text
    service = await Service.get(shop_id=shop.id)
    assert (service.price_cents, service.description) == (2850, "Hand-pulled, with coriander")
    assert service.photo_file_id

    # Its card shows the photo; going back replaces it with the list again.
    await wang.press(listing, text="Beef noodles · ¥28.50")
    card = await wang.reply()
    assert card.method == "sendPhoto" and card.photo == a_photo()
    assert "Beef noodles" in card.caption and "Hand-pulled" in card.caption
    await wang.wait_for(lambda: listing.deleted)
    await wang.press(card, text="« Back")
    assert "1. Beef noodles" in (await wang.reply()).text
    await wang.wait_for(lambda: card.deleted)


async def test_edit_price_hide_unhide_and_delete_with_confirm(bot, tg: FakeTelegram) -> None:
    config = bot.config
    wang, [shop] = await merchant(tg, 11)
    await add(shop, "Beef noodles", 2800, config)
    await add(shop, "Dumplings", 1500, config)
    await wang.send("/services")
    screen = await wang.reply()
    assert "1. Beef noodles — ¥28.00\n2. Dumplings — ¥15.00" in screen.text
    await changed(wang, screen, "Beef noodles · ¥28.00")
    assert "💰 ¥28.00" in screen.text and "Shown on your shop page" in screen.text
    assert "⬆️ Move up" not in screen.button_texts  # already first

    await wang.press(screen, text="💰 Price")
    assert "costs ¥28.00" in (await wang.reply()).text
    await wang.send("twelve")
    assert "doesn't look like a price" in (await wang.reply()).text
    await wang.send("30")
    saved, screen = await wang.replies(2)
    assert saved.text == "Saved." and "💰 ¥30.00" in screen.text
    assert (await Service.get(name="Beef noodles")).price_cents == 3000

    await changed(wang, screen, "🙈 Hide")
    assert "Hidden" in screen.text and "👁 Show again" in screen.button_texts
    assert "Hidden from customers" in (await wang.callback_answer())["text"]
    page = await customer_page(shop, config)
    assert "Beef noodles" not in page and "Dumplings — ¥15.00" in page
    await changed(wang, screen, "« Back")
    assert "1. Beef noodles — ¥30.00 · 🙈 hidden" in screen.text
    assert "🙈 Beef noodles · ¥30.00" in screen.button_texts
    await changed(wang, screen, "🙈 Beef noodles · ¥30.00")
    await changed(wang, screen, "👁 Show again")
    assert "Beef noodles — ¥30.00" in await customer_page(shop, config)

    await changed(wang, screen, "🗑 Delete")
    assert "Delete Beef noodles?" in screen.text
    await changed(wang, screen, "No, keep it")
    assert await Service.exists(name="Beef noodles")
    await changed(wang, screen, "🗑 Delete")
    await changed(wang, screen, "🗑 Yes, delete")
    assert "1. Dumplings — ¥15.00" in screen.text and "Beef noodles" not in screen.text
    assert not await Service.exists(name="Beef noodles")
    assert "Beef noodles" not in await customer_page(shop, config)


async def test_forged_buttons_for_another_shop_change_nothing(bot, tg: FakeTelegram) -> None:
    config = bot.config
    _, [wangs] = await merchant(tg, 12, "Lao Wang Noodles")
    noodles = await add(wangs, "Beef noodles", 2800, config)
    li, [lis] = await merchant(tg, 13, "Li Laundry")
    ironing = await add(lis, "Ironing", 500, config)
    await li.send("/services")
    own = await li.reply()
    for data in (
        f"cat:list:{wangs.id}",
        f"cat:shop:{wangs.id}",
        f"cat:add:{wangs.id}",
        f"cat:open:{noodles.id}",
        f"cat:hide:{noodles.id}:1",
        f"cat:up:{noodles.id}",
        f"cat:del:{noodles.id}",
        f"cat:delok:{noodles.id}",
        f"cat:edit:{noodles.id}:price",
        f"cat:hide:{ironing.id}:7",
        f"cat:edit:{ironing.id}:owner",
        "cat:open:abc",
        f"cat:open:{noodles.id + ironing.id + 100}",
        "cat:delok",
    ):
        await li.press_data(own.message_id, data)
        assert "expired" in (await li.callback_answer())["text"], data
    fresh = await Service.get(id=noodles.id)
    assert (fresh.hidden, fresh.price_cents, fresh.name) == (False, 2800, "Beef noodles")
    assert await Service.filter(shop_id=wangs.id).count() == 1
    assert not own.edits and li.last is own  # nothing shown, nothing edited


async def test_consumers_are_told_services_is_for_merchants(bot, tg: FakeTelegram) -> None:
    ann = tg.user(14, first_name="Ann", language_code="en")
    await ann.send("/services")
    assert "for shop owners and their staff" in (await ann.reply()).text
    zhang = tg.user(15, first_name="张", language_code="zh-hans")
    await zhang.send("/services")
    assert "仅供店主和店员使用" in (await zhang.reply()).text


async def test_cancel_mid_add_leaves_nothing(bot, tg: FakeTelegram) -> None:
    wang, _ = await merchant(tg, 16)
    await wang.send("/services")
    await wang.press(await wang.reply(), text="➕ Add a service")
    await wang.reply()
    await wang.send("Beef noodles")
    await wang.reply()
    await wang.send("/poster")
    assert "finish this step first" in (await wang.reply()).text
    await wang.send("✖️ Cancel")
    assert "Cancelled" in (await wang.reply()).text
    assert not await Service.exists()
    await wang.send("28")  # no longer in the flow
    assert "didn't understand" in (await wang.reply()).text
    assert not await Service.exists()


async def test_restart_mid_add_resumes_in_chinese(bot, tg: FakeTelegram) -> None:
    wang, [shop] = await merchant(tg, 17, "老王面馆", lang="zh-hans")
    await wang.send("/services")
    listing = await wang.reply()
    assert "还没有添加服务" in listing.text
    await wang.press(listing, text="➕ 添加服务")
    assert "叫什么" in (await wang.reply()).text
    await wang.send("牛肉面")
    assert "牛肉面 的价格是多少" in (await wang.reply()).text
    await bot.restart()
    await wang.send("28")
    assert "简短介绍" in (await wang.reply()).text
    await wang.send_sticker()
    assert "请用文字发送" in (await wang.reply()).text
    await wang.send("跳过")
    assert "发送一张照片" in (await wang.reply()).text
    await wang.send_sticker()
    assert "这不是照片" in (await wang.reply()).text
    await wang.send("跳过")
    added, listing = await wang.replies(2)
    assert "已添加「牛肉面」，价格 ¥28.00" in added.text
    assert "1. 牛肉面 — ¥28.00" in listing.text
    service = await Service.get(shop_id=shop.id)
    assert (service.description, service.photo_file_id) == ("", None)


async def test_several_shops_pick_one_and_edit_the_name(bot, tg: FakeTelegram) -> None:
    config = bot.config
    wang, [noodles, laundry] = await merchant(tg, 18, "Lao Wang Noodles", "Wang Laundry")
    await add(laundry, "Ironing", 500, config, description="Per shirt")
    await add(laundry, "Dry cleaning", 2500, config)
    await wang.send("/services")
    screen = await wang.reply()
    assert screen.button_texts == ["Lao Wang Noodles", "Wang Laundry"]
    await changed(wang, screen, "Wang Laundry")
    assert "Wang Laundry" in screen.text and "1. Ironing — ¥5.00" in screen.text
    await changed(wang, screen, "Dry cleaning · ¥25.00")
    await changed(wang, screen, "⬆️ Move up")
    assert [s.name for s in await catalog.services_of(laundry.id)] == ["Dry cleaning", "Ironing"]
    assert "⬆️ Move up" not in screen.button_texts
    await wang.press(screen, text="✏️ Name")
    await wang.reply()
    await wang.send("ironing")
    assert "already have a service called ironing" in (await wang.reply()).text
    await wang.send("Dry cleaning (suit)")
    saved, card = await wang.replies(2)
    assert saved.text == "Saved." and "Dry cleaning (suit)" in card.text
    assert await Service.exists(shop_id=laundry.id, name="Dry cleaning (suit)")
    assert not await Service.filter(shop_id=noodles.id).exists()
