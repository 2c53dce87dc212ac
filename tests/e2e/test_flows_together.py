"""Two flows under way at once: a button of an older message starts another flow in the middle of
/newshop. The newer flow gets the answers until it ends; then /newshop goes on where it was,
its draft (the shop's name) untouched — across a restart too."""

from __future__ import annotations

from bot.models import Coupon, CouponKind, Shop
from tests.e2e.helpers import LAT, LNG, make_shop
from tests.e2e.test_wallet import owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

RESUMED = "Back to what you were doing before"


async def newshop_named(boss: FakeUser, name: str) -> BotMessage:
    """/newshop with the name typed; the category question (inline buttons)."""
    await boss.send("/newshop")
    await boss.reply()
    await boss.send(name)
    category = await boss.reply()
    assert "🍜 Dining" in category.button_texts
    return category


async def finish_newshop(boss: FakeUser, category: BotMessage) -> str:
    """The rest of /newshop from its category question; the merchant's confirmation."""
    await boss.press(category, text="🍜 Dining")
    assert "Where is your shop" in (await boss.reply()).text
    await boss.share_location(LAT, LNG)
    await boss.reply()
    for answer in ("88 Nanjing Road", "13812345678", "Daily 10:00-22:00", "Skip"):
        await boss.send(answer)
        await boss.reply(timeout=10)
    await boss.send("Skip")  # no photos
    *_, question = await boss.replies(3, timeout=10)  # venue, page, question
    await boss.press(question, text="✅ Publish")
    return (await boss.reply(timeout=10)).text


async def test_an_older_new_coupon_button_mid_newshop_keeps_the_shop_name(
    bot, tg: FakeTelegram
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await boss.send("/coupons")
    listing = await boss.reply()  # an older message with "➕ New coupon"

    category = await newshop_named(boss, "Second Noodles")
    await boss.press(listing, text="➕ New coupon")
    assert "New coupon for Lao Wang Noodles" in (await boss.reply()).text

    # /newshop waits: its buttons say so instead of acting, typed answers go to the coupon.
    await boss.press(category, text="🍜 Dining")
    assert "finish this step" in (await boss.callback_answer())["text"]
    await boss.send("🎁 Free gift or service")
    assert "short title" in (await boss.reply()).text
    for answer in ("Free tea", "Skip", "Skip", "♾ Unlimited", "1", "7 days after claiming"):
        await boss.send(answer)
        await boss.reply()
    await boss.send("👥 Everyone")
    _, summary = await boss.replies(2)
    await boss.press(summary, text="✅ Publish")
    live, resumed = await boss.replies(2)
    assert "“Free tea” is live!" in live.text and RESUMED in resumed.text
    coupon = await Coupon.get(shop_id=shop.id)
    assert (coupon.title, coupon.kind) == ("Free tea", CouponKind.GIFT)

    assert "is registered" in await finish_newshop(boss, category)
    second = await Shop.get(name="Second Noodles")
    assert second.category == "dining" and second.owner_id == boss.id
    tg.assert_no_errors(ignore=(429,))  # flood waits are retried; nothing else refused


async def test_cancelling_the_newer_flow_leaves_the_older_one_as_it_was(
    bot, tg: FakeTelegram
) -> None:
    await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await boss.send("/coupons")
    listing = await boss.reply()

    category = await newshop_named(boss, "Third Noodles")
    await boss.press(listing, text="➕ New coupon")
    await boss.reply()
    await bot.restart()  # which flow answers survives a restart, like the flows themselves
    await boss.send("🎁 Free gift or service")
    assert "short title" in (await boss.reply()).text
    await boss.send("/cancel")  # leaves the coupon only
    cancelled, resumed = await boss.replies(2)
    assert "Cancelled" in cancelled.text and RESUMED in resumed.text
    assert not await Coupon.exists()

    assert "is registered" in await finish_newshop(boss, category)
    assert await Shop.filter(name="Third Noodles", category="dining").exists()
    await boss.send("/cancel")  # nothing is under way any more
    assert "nothing to cancel" in (await boss.reply()).text


async def test_typed_commands_start_nothing_mid_flow(bot, tg: FakeTelegram) -> None:
    await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await boss.send("/newcoupon")
    assert "New coupon for" in (await boss.reply()).text
    await boss.send("/newshop")  # its flow comes first among the handlers: refused all the same
    assert "finish this step" in (await boss.reply()).text
    await boss.send("➕ New shop")  # the menu button, likewise
    assert "finish this step" in (await boss.reply()).text
    await boss.send("🎁 Free gift or service")
    assert "short title" in (await boss.reply()).text
