"""Flash deals, end to end: /flash from an existing offer, the deal ending when its time is up
(the end job's function, with the clock moved) or when its last unit is claimed, every pushed
message edited to say so and its claim button refused, quiet hours that outlast a deal, and
deals that run out while the bot is down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import clock, sender
from bot.clock import FrozenClock
from bot.config import Config
from bot.flows.promo import payload_of, push_of
from bot.models import (
    Coupon,
    CouponClaim,
    CouponKind,
    CouponStatus,
    Outbox,
    Promotion,
    PromotionStatus,
)
from bot.services import promotions
from bot.ui.buttons.wallet import ClaimCoupon
from scheduler import views_of
from scheduler.flash_deals import end_if_due
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_promo import (
    NOON,
    delivered,
    final_report,
    follower,
    launch,
    press_starting,
    send_now,
    shanghai,
)
from tests.e2e.test_wallet import add_coupon, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser


@pytest.fixture(autouse=True)
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(NOON) as stopped:
        yield stopped


async def finish_if_due(bot: Any, promotion_id: int) -> bool:
    """What the deal's timer runs, with the bot's own views, at the bot's time."""
    return await end_if_due(views_of(bot.app), promotion_id, clock.now())


async def edited(user: FakeUser, message: BotMessage) -> None:
    await user.wait_for(lambda: message.edits, timeout=10)


async def compose_flash(
    boss: FakeUser, offer: str, stock: str, minutes: str, text: str, *, typed: bool = False
) -> tuple[BotMessage, BotMessage]:
    """/flash up to the preview, to followers; returns (preview, confirmation)."""
    await boss.send("/flash")
    question = await boss.reply()
    assert "Which offer?" in question.text
    edits = len(question.edits)
    await boss.press(question, text=f"🎟 {offer}")
    await boss.wait_for(lambda: len(question.edits) > edits)
    assert "How many are up for grabs?" in question.text
    if typed:
        await boss.send(stock)
        question = await boss.reply()
        await boss.send(minutes)
    else:
        await boss.press(question, text=stock)
        await boss.wait_for(lambda: "How long does the deal last?" in question.text)
        await boss.press(question, text=minutes)
    assert "Send its text" in (await boss.reply()).text
    await boss.send(text)
    await boss.reply()
    await boss.send("Skip")
    audience = await boss.reply()
    await press_starting(boss, audience, "⭐ Your followers")
    preview, confirm = await boss.replies(2)
    return preview, confirm


async def launch_flash(config: Config, shop: Any, template: Coupon, minutes: int) -> Promotion:
    """A flash deal to followers as /flash sends it, without the conversation."""
    promotion = await promotions.create_flash(
        shop, OWNER_ID, template_id=template.id, stock=10, minutes=minutes, text="Quick!",
        photo_file_id=None, audience=promotions.PromotionAudience.FOLLOWERS, chat_id=OWNER_ID,
        now=clock.now(),
    )  # fmt: skip
    await promotion.fetch_related("coupon")
    push = push_of(promotion, shop, promotion.coupon)
    await promotions.launch(promotion, payload_of(push, config), now=clock.now())
    sender.notify()
    return promotion


async def test_a_flash_deal_ends_when_its_time_is_up(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await add_coupon(shop, title="Half-price noodles", kind=CouponKind.PERCENT, value=50)
    boss = await owner(tg)
    ann = await follower(tg, 80, shop)
    li = await follower(tg, 81, shop, lang="zh-hans")

    preview, confirm = await compose_flash(
        boss, "Half-price noodles", "5", "1 h", "The lunch rush is over — come now!"
    )
    assert preview.text.startswith("⚡ Flash deal · Lao Wang Noodles")
    assert "⏳ Only 5 available · until 13:00" in preview.text
    assert "It will reach 2 people" in confirm.text and "Start the flash deal now?" in confirm.text
    assert "Delivered to 2 of 2 people" in (await send_now(boss, confirm)).text

    promotion = await Promotion.get(shop_id=shop.id)
    deal = await Coupon.get(id=promotion.coupon_id)
    assert (deal.stock, deal.flash_ends_at, deal.title) == (
        5,
        shanghai(1, 13),
        "Half-price noodles",
    )
    assert bot.app.job_queue.get_jobs_by_name(f"flash-end:{promotion.id}")  # the real timer
    push, chinese = ann.inbox[-1], li.inbox[-1]
    claim_data = chinese.callback_data[0]
    assert ClaimCoupon.unpack(claim_data) == ClaimCoupon(deal.id, promotion.id)
    assert "until 13:00" in push.text and push.button_texts[0] == "🎟 Claim the coupon"
    assert (
        "⚡ 限时抢购 · Lao Wang Noodles" in chinese.text
        and "限量 5 份 · 13:00 截止" in chinese.text
    )
    await ann.press(push, text="🎟 Claim the coupon")
    card = await ann.reply()
    assert card.method == "sendPhoto"
    assert (await CouponClaim.get(user_id=80)).expires_at == shanghai(1, 13)

    assert not await finish_if_due(bot, promotion.id)  # not yet
    frozen.set(shanghai(1, 13))
    assert await finish_if_due(bot, promotion.id)  # what the job runs
    await edited(ann, push)
    await edited(li, chinese)
    assert push.text.startswith("⌛ This flash deal from Lao Wang Noodles has ended.")
    assert "The lunch rush is over — come now!" in push.text and not push.buttons
    assert chinese.text.startswith("⌛ 「Lao Wang Noodles」的这次限时抢购已结束。")
    notice = await boss.reply()
    assert "Half-price noodles has ended: 1 of 5 claimed" in notice.text

    await li.press_data(chinese.message_id, claim_data)  # a client still showing the button
    assert "该优惠活动已结束" in (await li.callback_answer())["text"]
    assert await CouponClaim.filter(coupon_id=deal.id).count() == 1
    assert (await Coupon.get(id=deal.id)).status == CouponStatus.ENDED
    assert (await Promotion.get(id=promotion.id)).status == PromotionStatus.ENDED
    assert not await finish_if_due(bot, promotion.id)  # once only


async def test_the_last_unit_claimed_ends_the_deal_for_everyone(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await add_coupon(shop, title="Free dumplings", kind=CouponKind.GIFT, value=0)
    boss = await owner(tg)
    ann = await follower(tg, 82, shop)
    bob = await follower(tg, 83, shop)

    await boss.send("/flash")
    question = await boss.reply()
    await boss.press(question, text="🎟 Free dumplings")
    await boss.wait_for(lambda: "How many" in question.text)
    for wrong, hint in (("0", "from 1 to 1000"), ("many", "from 1 to 1000")):
        await boss.send(wrong)
        assert hint in (await boss.reply()).text
    await boss.send("1")
    assert "How long does the deal last?" in (await boss.reply()).text
    await boss.send("5")
    assert "from 10 to 720 minutes" in (await boss.reply()).text
    await boss.send("45")
    assert "Send its text" in (await boss.reply()).text
    await boss.send("One free basket for the fastest!")
    await boss.reply()
    await boss.send("Skip")
    await press_starting(boss, await boss.reply(), "⭐ Your followers")
    preview, confirm = await boss.replies(2)
    assert "Only 1 available · until 12:45" in preview.text
    await send_now(boss, confirm)

    deal = await Coupon.get(shop_id=shop.id, flash_ends_at__isnull=False)
    push_a, push_b = ann.inbox[-1], bob.inbox[-1]
    claim_data = push_b.callback_data[0]
    await ann.press(push_a, text="🎟 Claim the coupon")
    assert "Added to My coupons" in (await ann.callback_answer())["text"]
    await edited(ann, push_a)
    await edited(bob, push_b)
    assert push_b.text.startswith("🔥 All gone! The flash deal from Lao Wang Noodles has sold out.")
    assert not push_b.buttons
    assert "sold out — 1 of 1 claimed" in (await boss.reply()).text

    await bob.press_data(push_b.message_id, claim_data)  # a client that still shows the button
    assert "this offer has ended" in (await bob.callback_answer())["text"]
    assert await CouponClaim.filter(coupon_id=deal.id).values_list("user_id", flat=True) == [82]
    assert (await Promotion.get(coupon_id=deal.id)).status == PromotionStatus.ENDED


async def test_quiet_hours_delay_a_promotion_but_skip_a_flash_deal_that_ends_first(
    bot, tg: FakeTelegram, config: Config, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    template = await add_coupon(shop, title="Late-night noodles")
    boss = await owner(tg)
    ann = await follower(tg, 84, shop)
    frozen.set(shanghai(1, 23))

    _, confirm = await compose_flash(boss, "Late-night noodles", "10", "30 min", "Night owls!")
    report = await send_now(boss, confirm)
    assert "1 skipped" in report.text and "Delivered to 0 of 1" in report.text
    row = await Outbox.get(user_id=84)
    assert (row.status, row.error) == ("skipped", "quiet_hours")
    evening = await launch(config, shop, "Tomorrow's breakfast menu")
    assert "⏰ 1 will get it later" in (await final_report(boss, bot, evening)).text
    assert ann.inbox == []  # nobody is woken at 23:00

    frozen.set(shanghai(2, 8))
    sender.notify()
    await delivered(tg, [84])
    assert [m.text.splitlines()[2] for m in ann.inbox] == ["Tomorrow's breakfast menu"]
    deal = await Promotion.get(is_flash=True)
    assert await finish_if_due(bot, deal.id)
    assert "has ended: 0 of 10 claimed" in (await boss.reply()).text
    assert template.id != deal.coupon_id


async def test_deals_that_ran_out_while_the_bot_was_down_end_at_start(
    bot, tg: FakeTelegram, config: Config, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    template = await add_coupon(shop)
    boss = await owner(tg)
    ann = await follower(tg, 85, shop)
    short = await launch_flash(config, shop, template, 30)
    long = await launch_flash(config, shop, template, 120)
    await delivered(tg, [85], each=2)
    first, second = ann.inbox

    frozen.advance(minutes=45)
    await bot.restart()  # returns once the start-up catch-up has run
    await edited(ann, first)  # ended at start-up, without the job that was lost
    assert first.text.startswith("⌛ This flash deal") and not second.edits
    # (the resumed progress reports of both deals may come before or after it)
    [notice] = [m.text for m in boss.inbox if "has ended" in m.text]
    assert "has ended: 0 of 10 claimed" in notice
    assert not bot.app.job_queue.get_jobs_by_name(f"flash-end:{short.id}")
    [job] = bot.app.job_queue.get_jobs_by_name(f"flash-end:{long.id}")  # set again
    assert job.next_t is not None
    assert 60 * 74 < (job.next_t - datetime.now(UTC)).total_seconds() < 60 * 76

    frozen.advance(minutes=75)
    assert await finish_if_due(bot, long.id)
    await edited(ann, second)
    assert (await Promotion.get(id=long.id)).status == PromotionStatus.ENDED


async def test_flash_needs_an_offer_to_copy(bot, tg: FakeTelegram) -> None:
    await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await boss.send("/flash")
    assert "create one with /newcoupon" in (await boss.reply()).text
    await boss.send("Half price!")  # the flow is over: plain text goes to the menu
    assert "didn't understand" in (await boss.reply()).text
