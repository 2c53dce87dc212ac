"""Merchants: /newcoupon step by step (every bad answer re-asked, in English and Chinese, a
restart mid-flow resumed), the preview customers would get, and /coupons with live counts,
pause / resume / end early, and forged buttons refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.i18n import LANGUAGES, catalogue
from bot.models import Audience, Coupon, CouponClaim, CouponKind, CouponStatus
from bot.services import coupons
from bot.services.users import ensure_user, set_roles
from bot.ui.buttons.coupons import (
    ConfirmEndCoupon,
    CouponListInPlace,
    NewCoupon,
    PauseCoupon,
)
from bot.ui.buttons.wallet import ClaimCoupon
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_wallet import (
    MORNING,
    add_coupon,
    customer,
    frozen_at,
    open_page,
    owner,
    qr_texts,
)
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

SHANGHAI_MIDNIGHT = datetime(2030, 3, 4, 16, 0, tzinfo=UTC)  # 2030-03-05 00:00 in Shanghai


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


#: Where each refusal can reach a person, and so which messages it needs.
REFUSALS = {
    "claim": {"not_found", "ended", "own_shop", "paused", "not_started", "expired"}
    | {"limit_reached", "sold_out", "not_eligible", "tier_needed"},
    "redeem": {"malformed", "bad_check", "not_staff", "unknown"}
    | {"already_redeemed", "expired", "paused", "no_qr", "not_holder", "min_spend"},
    "create": {"bad_value", "bad_title", "bad_terms", "bad_min_spend", "bad_stock", "bad_limit"}
    | {"bad_validity", "bad_range", "bad_days", "bad_flash", "bad_audience", "not_found"},
    "manage": {"not_found", "ended"},
}


def test_every_refusal_has_its_message_in_both_languages() -> None:
    services = Path(__file__).resolve().parents[2] / "bot" / "services"
    source = (services / "coupons.py").read_text() + (services / "codes.py").read_text()
    raised = set(re.findall(r"(?:CouponError|InvalidCode)\(\s*\"(\w+)\"", source))
    assert raised and raised <= set().union(*REFUSALS.values()), raised
    for lang in LANGUAGES:
        for scope, reasons in REFUSALS.items():
            for reason in reasons:
                assert f"coupons.{scope}_{reason}" in catalogue(lang), (lang, scope, reason)


async def step(user: FakeUser, answer: str) -> BotMessage:
    await user.send(answer)
    return await user.reply()


async def refused(user: FakeUser, answer: str, expected: str) -> None:
    """A bad answer: the bot says what is wrong (and changes nothing)."""
    reply = await step(user, answer)
    assert expected in reply.text, reply.text


async def test_newcoupon_walk_re_asks_every_bad_answer(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)

    await boss.send("/newcoupon")
    ask = await boss.reply()
    assert "New coupon for Lao Wang Noodles" in ask.text
    assert ask.reply_keyboard == [
        ["％ Percent off"],
        ["💴 Amount off"],
        ["🎫 Cash voucher"],
        ["🎁 Free gift or service"],
        ["✖️ Cancel"],
    ]
    await refused(boss, "Half price", "choose one of the buttons")
    assert "How many percent off?" in (await step(boss, "％ Percent off")).text
    await refused(boss, "120", "whole number from 1 to 99")
    await refused(boss, "abc", "whole number from 1 to 99")
    ask = await step(boss, "20%")
    assert "short title" in ask.text and ask.reply_keyboard == [["20% off"], ["✖️ Cancel"]]
    await refused(boss, "x" * 65, "title of 1 to 64 characters")
    assert "Any terms" in (await step(boss, "20% off   all noodles")).text
    await refused(boss, "y" * 501, "within 500 characters")
    ask = await step(boss, "Dine-in only.\nNot with other offers.")
    assert "minimum spend" in ask.text and ask.reply_keyboard == [["Skip"], ["✖️ Cancel"]]
    await refused(boss, "lots", "doesn't look like an amount")
    ask = await step(boss, "¥50")
    assert "in total" in ask.text and ask.reply_keyboard == [["♾ Unlimited"], ["✖️ Cancel"]]
    await refused(boss, "0", "from 1 to 1,000,000")
    await refused(boss, "many", "from 1 to 1,000,000")
    assert "one person" in (await step(boss, "1,000")).text
    await refused(boss, "100", "from 1 to 99")
    ask = await step(boss, "2")
    assert "2030-03-02 2030-03-31" in ask.text  # the example starts tomorrow
    assert ask.reply_keyboard == [
        ["7 days after claiming"],
        ["30 days after claiming"],
        ["✖️ Cancel"],
    ]
    await refused(boss, "next month", "couldn't read that")
    await refused(boss, "2030-02-30 2030-03-10", "doesn't exist")
    await refused(boss, "2030-04-30 2030-04-01", "before the start date")
    await refused(boss, "2029-01-01 2029-12-31", "already passed")
    await refused(boss, "400", "from 1 to 366")
    await boss.send_sticker()
    assert "type your answer" in (await boss.reply()).text
    assert "Who may claim" in (await step(boss, "2030-03-05 ~ 2030-04-30")).text
    await refused(boss, "Friends", "choose one of the buttons")
    assert not await Coupon.exists()

    await boss.send("🌱 First-time customers only")
    card, summary = await boss.replies(2)
    caption = card.caption or ""
    assert card.method == "sendPhoto"
    assert qr_texts(card.photo)[0].startswith(f"https://t.me/{tg.bot_username}?start=redeem_")
    assert caption.startswith("✅ Added to 🎟 My coupons\n\n🎟 20% off all noodles\n🏪 Lao Wang")
    assert "💰 20% off\n🧾 With a spend of ¥50.00 or more" in caption
    assert "📝 Dine-in only.\nNot with other offers.\n🌱 For first-time customers" in caption
    assert "Use by 2030-04-30 23:59" in caption
    assert "the code is a sample" in summary.text and "“🎟 20% off all noodles”" in summary.text
    assert "📦 Stock: 1,000 in total\n👤 Per person: 2" in summary.text
    assert "⏳ Valid from 2030-03-05 00:00 to 2030-04-30 23:59" in summary.text
    assert summary.button_texts == ["✅ Publish", "🔁 Start over", "✖️ Discard"]
    await refused(boss, "ok", "buttons under the preview")

    await boss.press(summary, text="✅ Publish")
    done = await boss.reply()
    assert "“20% off all noodles” is live!" in done.text and "/coupons" in done.text
    assert "🏪 My shop" in str(done.reply_keyboard)  # the main menu is back
    coupon = await Coupon.get(shop_id=shop.id)
    assert (coupon.kind, coupon.value, coupon.title) == (
        CouponKind.PERCENT,
        20,
        "20% off all noodles",
    )
    assert coupon.terms == "Dine-in only.\nNot with other offers."
    assert (coupon.min_spend_cents, coupon.stock, coupon.per_user_limit) == (5000, 1000, 2)
    assert coupon.valid_from == SHANGHAI_MIDNIGHT and coupon.valid_days is None
    assert coupon.valid_until == datetime(2030, 4, 30, 15, 59, 59, tzinfo=UTC)
    assert coupon.audience == Audience.NEW_CUSTOMERS and coupon.status == CouponStatus.ACTIVE

    # The old preview's buttons are gone; a forged press on it has expired.
    await boss.press_data(summary.message_id, "cpn:pub")
    assert "expired" in (await boss.callback_answer())["text"]
    assert await Coupon.all().count() == 1


async def test_newcoupon_in_chinese_resumes_after_restart(bot, tg: FakeTelegram) -> None:
    await ensure_user(60, "李雷", None, "zh-hans")
    shop = await make_shop("老王面馆", owner_id=60)
    li = tg.user(60, first_name="李雷", language_code="zh-hans")

    await li.send("/newcoupon")
    assert "为「老王面馆」新建优惠券" in (await li.reply()).text
    ask = await step(li, "🎁 赠品 / 免费服务")  # a gift has no value to ask
    assert "简短标题" in ask.text and ask.reply_keyboard == [["✖️ 取消"]]
    assert "使用规则" in (await step(li, "点面送饮料一杯")).text
    assert "满多少钱可用" in (await step(li, "跳过")).text
    assert "一共发多少张" in (await step(li, "跳过")).text
    await refused(li, "很多", "1 到 1,000,000")
    assert "每人最多" in (await step(li, "♾ 不限量")).text
    await bot.restart()  # a restart mid-flow resumes at the same step
    assert "有效期" in (await step(li, "1")).text
    assert "哪些顾客" in (await step(li, "领取后 7 天内有效")).text
    await li.send("👥 所有顾客")
    card, summary = await li.replies(2)
    assert "💰 免费赠品或服务" in (card.caption or "") and "点面送饮料一杯" in (card.caption or "")
    assert "📦 数量：♾ 不限量" in summary.text and "领取后 7 天内有效" in summary.text
    await li.press(summary, text="✅ 发布")
    assert "已上线" in (await li.reply()).text
    coupon = await Coupon.get(shop_id=shop.id)
    assert (coupon.kind, coupon.value, coupon.stock, coupon.valid_days) == (
        CouponKind.GIFT,
        0,
        None,
        7,
    )
    assert coupon.terms == "" and coupon.min_spend_cents == 0 and coupon.per_user_limit == 1


async def test_preview_start_over_discard_and_who_may_create(bot, tg: FakeTelegram) -> None:
    await make_shop("Lao Wang Noodles")
    await make_shop("Wang's Laundry", category="laundry")
    boss = await owner(tg)

    await boss.send("/newcoupon")
    choice = await boss.reply()
    assert choice.button_texts == ["Lao Wang Noodles", "Wang's Laundry"]
    await boss.press(choice, text="Wang's Laundry")
    assert "New coupon for Wang's Laundry" in (await boss.reply()).text
    for answer in ("🎫 Cash voucher", "50", "¥50 voucher", "Skip", "100", "10", "1"):
        await step(boss, answer)
    await step(boss, "30 days after claiming")
    await boss.send("👥 Everyone")
    card, summary = await boss.replies(2)
    assert "💰 ¥50.00 cash voucher" in (card.caption or "")
    await boss.press(summary, text="🔁 Start over")
    assert "What kind of offer" in (await boss.reply()).text
    await boss.send("/coupons")
    assert "finish this step first" in (await boss.reply()).text
    await boss.send("✖️ Cancel")
    assert "Cancelled" in (await boss.reply()).text
    assert not await Coupon.exists()

    ann = await customer(tg, 61)
    await ann.send("/newcoupon")
    assert "for shop owners and their staff" in (await ann.reply()).text
    await ann.send("/coupons")
    assert "for shop owners and their staff" in (await ann.reply()).text
    await ann.press_data(choice.message_id, NewCoupon(shop_id=1).pack())
    assert "expired" in (await ann.callback_answer())["text"]


def entry(listing: BotMessage, title: str) -> tuple[int, str]:
    """A coupon on a /coupons screen: its number and its two lines (title, counts)."""
    lines = (listing.text or "").splitlines()
    at = next(i for i, line in enumerate(lines) if f". {title} · " in line)
    return int(lines[at].split(".")[0]), "\n".join(lines[at : at + 2])


async def pressed(user: FakeUser, screen: BotMessage, button: str) -> str:
    """Press a button that edits the screen in place; the pop-up answer's text."""
    edits = len(screen.edits)
    await user.press(screen, text=button)
    answered = await user.callback_answer()
    await user.wait_for(lambda: len(screen.edits) > edits)
    return answered.get("text") or ""


async def test_coupons_list_counts_pause_resume_and_end(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    deal = await add_coupon(shop, stock=50)
    gift = await add_coupon(shop, title="Free tea", kind=CouponKind.GIFT, value=0)
    old = await add_coupon(shop, title="Old deal")
    await coupons.end(old.id, shop.id)
    people = [await customer(tg, 70 + n, f"C{n}") for n in range(3)]
    claims = [await coupons.claim(deal.id, 70 + n, now=MORNING) for n in range(3)]
    await coupons.redeem(claims[0].id, OWNER_ID, now=MORNING)
    boss = await owner(tg)

    await boss.send("/coupons")
    listing = await boss.reply()
    assert "Coupons — Lao Wang Noodles" in listing.text
    # Active ones first, newest first; ended ones last.
    assert entry(listing, "Free tea") == (
        1,
        "1. Free tea · Free gift or service\n    🟢 Active · ♾ Unlimited · 0 claimed · 0 redeemed",
    )
    assert entry(listing, "20% off noodles") == (
        2,
        "2. 20% off noodles · 20% off\n    🟢 Active · 47 of 50 left · 3 claimed · 1 redeemed",
    )
    assert entry(listing, "Old deal")[1].endswith("⏹ Ended · ♾ Unlimited · 0 claimed · 0 redeemed")
    assert listing.button_texts == [
        "⏸ Pause 1",
        "⏹ End 1",
        "⏸ Pause 2",
        "⏹ End 2",
        "➕ New coupon",
    ]

    # Paused: the customer's button from before refuses and nothing is claimed; resumed: works.
    ann = people[1]
    page = await open_page(ann, shop)
    assert "Paused “Free tea”" in await pressed(boss, listing, "⏸ Pause 1")
    number, lines = entry(listing, "Free tea")
    assert "⏸ Paused" in lines and f"▶️ Resume {number}" in listing.button_texts
    assert "🎟 Free tea" not in (await open_page(ann, shop)).button_texts
    await ann.press(page, text="🎟 Free tea")
    assert "paused for the moment" in (await ann.callback_answer())["text"]
    assert not await CouponClaim.filter(coupon_id=gift.id).exists()
    assert "active again" in await pressed(boss, listing, f"▶️ Resume {number}")
    await ann.press(page, text="🎟 Free tea")
    assert (await ann.reply()).method == "sendPhoto"
    assert await CouponClaim.filter(coupon_id=gift.id).count() == 1

    # Ending asks first; Back keeps it; Yes ends it for good.
    number, _ = entry(listing, "20% off noodles")
    await pressed(boss, listing, f"⏹ End {number}")
    assert "End 20% off noodles early?" in listing.text and "can't be undone" in listing.text
    await pressed(boss, listing, "« Back")
    assert "🟢 Active" in entry(listing, "20% off noodles")[1]
    await pressed(boss, listing, f"⏹ End {number}")
    assert "no new claims" in await pressed(boss, listing, "⏹ Yes, end it")
    number, lines = entry(listing, "20% off noodles")
    assert lines.endswith("⏹ Ended · 47 of 50 left · 3 claimed · 1 redeemed")
    assert f"⏸ Pause {number}" not in listing.button_texts
    assert (await Coupon.get(id=deal.id)).status == CouponStatus.ENDED
    await ann.press_data(page.message_id, ClaimCoupon(coupon_id=deal.id).pack())
    assert "this offer has ended" in (await ann.callback_answer())["text"]


async def test_forged_list_buttons_change_nothing(bot, tg: FakeTelegram) -> None:
    mine = await make_shop("Lao Wang Noodles")
    theirs = await make_shop("Hair by Mei", category="hairdressing", owner_id=501)
    their_coupon = await add_coupon(theirs, title="Trim")
    my_coupon = await add_coupon(mine)
    await set_roles(await ensure_user(501, "Mei", None, "en"), consumer=False, merchant=True)
    boss, mei = await owner(tg), tg.user(501, first_name="Mei")

    await boss.send("/coupons")
    listing = await boss.reply()
    for forged in (
        PauseCoupon(shop_id=theirs.id, coupon_id=their_coupon.id).pack(),  # not my shop
        PauseCoupon(shop_id=mine.id, coupon_id=their_coupon.id).pack(),  # not my coupon
        ConfirmEndCoupon(shop_id=mine.id, coupon_id=their_coupon.id).pack(),
        f"cpn:end:{mine.id}",
        CouponListInPlace(shop_id=theirs.id).pack(),
        "cpn:pause:x:y",
    ):
        await boss.press_data(listing.message_id, forged)
        assert "expired" in (await boss.callback_answer())["text"], forged
    await mei.press_data(
        listing.message_id, ConfirmEndCoupon(shop_id=mine.id, coupon_id=my_coupon.id).pack()
    )
    assert "expired" in (await mei.callback_answer())["text"]
    statuses = await Coupon.all().values_list("status", flat=True)
    assert set(statuses) == {CouponStatus.ACTIVE}

    # Staff of several shops pick one first.
    second = await make_shop("Wang's Laundry", category="laundry")
    await boss.send("/coupons")
    choice = await boss.reply()
    await boss.press(choice, text="Wang's Laundry")
    listing = await boss.reply()
    assert "Coupons — Wang's Laundry" in listing.text and "No coupons yet" in listing.text
    assert listing.callback_data == [NewCoupon(shop_id=second.id).pack()]
