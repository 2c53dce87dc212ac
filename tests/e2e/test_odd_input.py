"""Odd input, as testers and attackers typed it: digits from other scripts at numeric steps,
forged buttons and links with ids no 32-bit column can hold, names made of invisible characters,
and edited messages. Every one gets a polite answer in the user's language and changes nothing."""

from __future__ import annotations

from bot.models import Coupon, CouponKind, Service, Shop, User
from tests.e2e.helpers import make_shop, onboard
from tests.e2e.test_catalog import merchant
from tests.e2e.test_wallet import owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser

BIG = 2**31  # one past the largest id a PostgreSQL integer column holds


async def says(user: FakeUser, text: str, expected: str) -> None:
    await user.send(text)
    reply = await user.reply()
    assert expected in (reply.text or ""), (text, reply.text)


# ------------------------------------------------------------------------- numeric steps


async def test_coupon_steps_take_full_width_digits_and_refuse_other_digits(
    bot, tg: FakeTelegram
) -> None:
    await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await says(boss, "/newcoupon", "What kind of offer")
    await says(boss, "％ Percent off", "How many percent off?")
    for odd in ("²⁰", "①⑤", "٢٠", "２⁰%"):
        await says(boss, odd, "whole number from 1 to 99")
    await says(boss, "２０％", "short title")  # what a Chinese keyboard types
    await says(boss, "20% off noodles", "Any terms")
    await says(boss, "Skip", "minimum spend")
    for odd in ("¥①0", "٥٠", "5²"):
        await says(boss, odd, "doesn't look like an amount")
    await says(boss, "５０．５", "in total")
    for odd in ("①", "١٠٠", "1⁰⁰"):
        await says(boss, odd, "from 1 to 1,000,000")
    await says(boss, "１，０００", "one person")
    await says(boss, "²", "from 1 to 99")
    await says(boss, "２", "valid")
    for odd in ("٣٠", "3⁰ days", "2030-0①-05"):
        await says(boss, odd, "couldn't read that")
    await says(boss, "３０天", "Who may claim")
    await boss.send("👥 Everyone")
    _, summary = await boss.replies(2)
    await boss.press(summary, text="✅ Publish")
    assert "is live" in (await boss.reply()).text
    coupon = await Coupon.get()
    assert (coupon.kind, coupon.value, coupon.min_spend_cents) == (CouponKind.PERCENT, 20, 5050)
    assert (coupon.stock, coupon.per_user_limit, coupon.valid_days) == (1000, 2, 30)


async def test_price_step_takes_full_width_and_refuses_superscripts(bot, tg: FakeTelegram) -> None:
    wang, [shop] = await merchant(tg, 10)
    await wang.send("/services")
    await wang.press(await wang.reply(), text="➕ Add a service")
    assert "called" in (await wang.reply()).text
    await says(wang, "Beef noodles", "How much is Beef noodles?")
    for odd in ("²8", "⑳", "٢٨", "28.⑤"):
        await says(wang, odd, "doesn't look like a price")
    assert not await Service.exists()
    await says(wang, "２８．５", "description")
    await says(wang, "Skip", "photo")
    await says(wang, "Skip", "Added")
    assert (await Service.get(shop_id=shop.id)).price_cents == 2850


# --------------------------------------------------------------- forged ids, forged links


async def test_forged_buttons_and_links_with_huge_ids_have_expired(bot, tg: FakeTelegram) -> None:
    """Ids past 2**31 would overflow PostgreSQL's integer columns: every parser says 'expired'
    before the database is asked, on SQLite and PostgreSQL alike."""
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await boss.send("/myshop")
    menu = await boss.reply()
    forged = [
        f"shop:{BIG}",
        f"poster:{BIG}",
        f"myshop:pick:{BIG}",
        f"myshop:view:{BIG}",
        f"myshop:edit:{BIG}:name",
        f"cat:list:{BIG}",
        f"cat:open:{BIG}",
        f"cat:hide:{BIG}:1",
        f"cat:add:{BIG}",
        f"cat:edit:{BIG}:price",
        f"cpn:claim:{BIG}",
        f"cpn:claim:{shop.id}:{BIG}",
        f"cpn:open:{BIG}",
        f"cpn:new:{BIG}",
        f"cpn:list:{BIG}",
        f"cpn:pause:{shop.id}:{BIG}",
        f"cpn:endok:{BIG}:{BIG}",
        f"rdm:ok:{BIG}",
        f"opr:view:{BIG}",
        f"fol:on:{BIG}",
        f"fol:unf:s{BIG}",
        f"fol:mute:{BIG}",
        f"res:shop:{BIG}",
        f"res:chart:{BIG}",
        f"rv:w:{BIG}",
        f"rv:l:{BIG}:0",
        f"rv:p:{shop.id}:{BIG}",
        f"rv:r:{BIG}",
        f"nb:{BIG}:{BIG}:{BIG}",
        f"set:radius:{BIG}",
        f"set:quiet:{BIG}-{BIG}",
        f"shop:{2**63}",
        f"shop:{10**30}",
        "shop:-1",
        "shop:²",
        "shop:١٢",
        "cat:open:１",
    ]
    for data in forged:
        await boss.press_data(menu.message_id, data)
        answer = await boss.callback_answer()
        assert "expired" in answer.get("text", ""), (data, answer)
    ann = tg.user(31, first_name="Ann", language_code="en")
    await onboard(ann)
    for link in (f"shop_{BIG}", "shop_-5", "shop_²", f"shop_{10**40}", "shop_١"):
        await says(ann, f"/start {link}", "this shop is not available")
    await ann.send(f"/start shop_{shop.id}")  # a real link still opens the page
    _, page = await ann.replies(2)
    assert "Lao Wang Noodles" in (page.text or page.caption or "")


# ------------------------------------------------------------------- invisible names


async def test_names_made_of_invisible_characters_are_refused(bot, tg: FakeTelegram) -> None:
    li = tg.user(40, first_name="Li", language_code="en")
    await onboard(li)
    await says(li, "/newshop", "called")
    for blank in ("\u200b\u200d", "\u202e\u2066\u2069", "\ufe0f\u3164", " \u2800 "):
        await says(li, blank, "The name can't be empty")
    await says(li, "Li's Laundry", "What kind of shop")
    await says(li, "/cancel", "Cancelled")
    assert not await Shop.exists()

    await li.send("/profile")
    card = await li.reply()
    await li.press(card, text="✏️ Name")
    await li.reply()
    await says(li, "\u200f\u200e\u061c", "between 1 and 64")
    assert (await User.get(id=40)).name is None
    await li.send("Li Lei")
    await li.replies(2)  # the profile card, then "saved" with the menu
    assert (await User.get(id=40)).name == "Li Lei"


# --------------------------------------------------------------------- edited messages


async def test_an_edit_is_answered_and_changes_nothing(bot, tg: FakeTelegram) -> None:
    ann = tg.user(50, first_name="Ann", language_code="en")
    await onboard(ann)
    hello = await ann.send("hello")
    await ann.reply()
    await ann.edit(hello, "hello again")
    assert "I only read new messages" in (await ann.reply()).text

    zhang = tg.user(51, first_name="张", language_code="zh-hans")
    await onboard(zhang)
    sent = await zhang.send("/help")
    await zhang.reply()
    await zhang.edit(sent, "/nearby")
    assert "我只读取新发送的消息" in (await zhang.reply()).text


async def test_an_edit_mid_flow_is_not_taken_as_the_next_answer(bot, tg: FakeTelegram) -> None:
    await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await says(boss, "/newcoupon", "What kind of offer")
    await says(boss, "％ Percent off", "How many percent off?")
    percent = await boss.send("20")
    assert "short title" in (await boss.reply()).text
    # Editing the earlier answer while the title is asked: neither a new percent nor a title.
    await boss.edit(percent, "30")
    assert "I only read new messages" in (await boss.reply()).text
    await says(boss, "Noodles deal", "Any terms")  # the flow is still where it was
    await says(boss, "/cancel", "Cancelled")
    assert not await Coupon.exists()

    await says(boss, "/newshop", "called")
    name = await boss.send("Wang's Second Shop")
    assert "What kind of shop" in (await boss.reply()).text
    await boss.edit(name, "Renamed Shop")
    assert "I only read new messages" in (await boss.reply()).text


async def test_a_moving_live_location_is_passed_over_in_silence(bot, tg: FakeTelegram) -> None:
    ann = tg.user(52, first_name="Ann", language_code="en")
    await onboard(ann)
    await ann.send("/nearby")
    await ann.reply()
    pin = await ann.share_location(31.2304, 121.4737)
    await ann.replies(2)
    await ann.move_live_location(pin, 31.2310, 121.4740)
    await ann.send("/help")  # the next thing the bot says is the help, nothing about the move
    assert "/nearby" in (await ann.reply()).text
