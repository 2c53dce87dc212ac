"""Languages as users meet them: Traditional Chinese for Hong Kong, Taiwan and Macau clients,
only the languages config.yaml lists, and percent-off coupons in 折 for Chinese merchants while
each customer reads the offer in their own words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.clock import FrozenClock
from bot.config import Config
from bot.models import Coupon, CouponKind, User
from bot.services.users import ensure_user
from tests.e2e.conftest import BotRunner
from tests.e2e.helpers import make_shop
from tests.e2e.test_wallet import MORNING, claim_from_page, customer, frozen_at
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


async def test_taiwan_and_hong_kong_clients_get_traditional_chinese(bot, tg: FakeTelegram) -> None:
    mei = tg.user(70, first_name="美玲", language_code="zh-TW")
    await mei.send("/start")
    welcome = await mei.reply()
    assert "美玲，您好！我能幫您找到附近的店鋪" in welcome.text and "點「📍 附近」" in welcome.text
    assert not welcome.buttons
    assert (await User.get(id=70)).language == "zh_Hant"

    ho = tg.user(71, first_name="家豪", language_code="zh-hant")
    await ho.send("/start")
    await ho.reply()
    await ho.send("/start")
    menu, reminder = await ho.replies(2)
    assert ["📍 附近", "🔎 搜尋"] in menu.reply_keyboard
    assert "您的資料還缺少" in reminder.text and "您的手機號碼" in reminder.text
    await ho.send("/settings")
    settings = await ho.reply()
    assert "語言：繁體中文" in settings.text and "2.0 公里" in settings.text
    assert "夜間勿擾：22:00–08:00" in settings.text
    await ho.press(settings, text="🌐 語言")
    await ho.wait_for(lambda: settings.edits and settings)
    assert settings.button_texts == ["简体中文", "繁體中文", "English"]  # config.yaml's order
    await ho.press(settings, text="简体中文")
    assert "已切换为简体中文" in (await ho.reply()).text
    assert (await User.get(id=71)).language == "zh_Hans"

    cn = tg.user(72, first_name="李雷", language_code="zh-CN")
    await cn.send("/start")
    assert "李雷，您好！我能帮您找到附近的店铺" in (await cn.reply()).text


async def test_only_configured_languages_are_offered(tg: FakeTelegram, config: Config) -> None:
    runner = BotRunner(config.with_(languages=("zh_Hans",)))
    await runner.start()
    try:
        ann = tg.user(73, first_name="Ann", language_code="en")
        await ann.send("/start")
        assert "Ann，您好" in (await ann.reply()).text  # English is not offered here
        await ann.send("/settings")
        settings = await ann.reply()
        await ann.press(settings, text="🌐 语言")
        await ann.wait_for(lambda: settings.edits and settings)
        assert settings.button_texts == ["简体中文"]
        await ann.press_data(settings.message_id, "set:lang:en")  # forged
        assert "失效" in (await ann.callback_answer())["text"]
        assert (await User.get(id=73)).language == "zh_Hans"

        menus = {key: [c["description"] for c in found] for key, found in tg.commands.items()}
        assert menus, "no command menu published"
        assert {language for _, language in menus} == {"", "zh"}, menus  # no English list
        assert all("店铺" in " ".join(descriptions) for descriptions in menus.values())
    finally:
        await runner.stop()
    if runner.errors:
        raise runner.errors[0]


async def _new_percent_coupon(li: FakeUser) -> None:
    """A Chinese merchant's percent-off coupon, typed in 折, valid one day after claiming."""
    await li.send("/newcoupon")
    await li.reply()
    await li.send("％ 折扣券")
    ask = await li.reply()
    assert "打几折" in ask.text and "8 表示八折" in ask.text
    for bad in ("88", "10", "0", "8.55", "八八"):
        await li.send(bad)
        refusal = await li.reply()
        assert "8.8 表示八八折" in refusal.text, bad  # the hint names an example
    assert not await Coupon.exists()
    await li.send("8.5")
    title = await li.reply()
    assert title.reply_keyboard[0] == ["8.5折"]  # the offer, one tap away as a title
    for answer in ("8.5折", "跳过", "跳过", "♾ 不限量", "1", "1"):
        await li.send(answer)
        last = await li.reply()
    assert "哪些顾客" in last.text
    await li.send("👥 所有顾客")
    card, summary = await li.replies(2)
    assert "💰 8.5折" in (card.caption or "")
    assert "⏳ 领取后 1 天内有效" in summary.text
    await li.press(summary, text="✅ 发布")
    assert "已上线" in (await li.reply()).text


async def test_zhe_is_stored_as_percent_off_and_read_in_each_viewers_words(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    await ensure_user(74, "李雷", None, "zh-hans")
    shop = await make_shop("老王面馆", owner_id=74)
    li = tg.user(74, first_name="李雷", language_code="zh-hans")
    await _new_percent_coupon(li)
    coupon = await Coupon.get(shop_id=shop.id)
    assert (coupon.kind, coupon.value, coupon.valid_days) == (CouponKind.PERCENT, 15, 1)

    ann = await customer(tg, 75, "Ann", "en")
    caption = (await claim_from_page(ann, shop, "8.5折")).caption or ""
    assert "💰 15% off" in caption and "Added to 🎟 My coupons" in caption

    mei = await customer(tg, 76, "美玲", "zh-hk")
    caption = (await claim_from_page(mei, shop, "8.5折")).caption or ""
    assert "💰 8.5折" in caption and "已放入「🎟 我的優惠券」" in caption

    await li.send("/coupons")
    listing = await li.reply()
    assert "8.5折" in listing.text and "已领 2" in listing.text


async def test_english_merchant_still_types_percent_off(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = tg.user(500, first_name="Owner", language_code="en")
    await boss.send("/newcoupon")
    await boss.reply()
    await boss.send("％ Percent off")
    assert "How many percent off?" in (await boss.reply()).text
    await boss.send("8.5")
    assert "e.g. 20 for 20% off" in (await boss.reply()).text
    await boss.send("15")
    assert (await boss.reply()).reply_keyboard[0] == ["15% off"]
    assert not await Coupon.filter(shop_id=shop.id).exists()
