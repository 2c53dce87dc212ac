"""Timed work across downtime, end to end: the bot stopped, its clock moved past a coupon's
reminder time or a flash deal's end, the bot started — the reminder goes out once, the deal ends
once (its pushed message edited, the merchant told) — and another restart changes nothing.
Also a deal's real timer: fired early it waits, on time it ends the deal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Config
from bot.models import Outbox, Promotion, PromotionStatus
from bot.services import coupons, promotions
from scheduler import FLASH_DEAL_ENDS
from scheduler.reminders import REMINDER_KIND
from tests.e2e.helpers import make_shop
from tests.e2e.test_flash import launch_flash
from tests.e2e.test_promo import NOON, delivered, follower
from tests.e2e.test_wallet import MORNING, add_coupon, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser


@pytest.fixture
def frozen() -> Iterator:
    with frozen_at(MORNING) as stopped:
        yield stopped


def ended_notices(merchant: FakeUser) -> list[str]:
    """What the merchant was told about deals ending (resumed progress reports aside)."""
    return [m.text for m in merchant.inbox if "has ended" in m.text]


async def test_a_reminder_due_while_the_bot_was_down_goes_out_at_start_once(
    bot, tg: FakeTelegram, frozen
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ending = await add_coupon(
        shop, title="Last call", valid_days=None, valid_until=MORNING + timedelta(hours=30)
    )
    gone = await add_coupon(
        shop, title="Gone by then", valid_days=None, valid_until=MORNING + timedelta(hours=12)
    )
    ann = await customer(tg, 36)
    for coupon in (ending, gone):
        await coupons.claim(coupon.id, 36, now=MORNING)

    await bot.stop()
    frozen.advance(hours=24)  # "Last call" entered its last day at +6 h; "Gone by then" expired
    await bot.start()  # returns once the catch-up has run
    note = await ann.reply()
    assert "Last call" in note.text and "expires on 2030-03-02 16:00" in note.text
    assert note.button_texts == ["🎟 Show my coupon"]
    assert await Outbox.filter(kind=REMINDER_KIND).count() == 1  # none for the expired one

    await bot.restart()
    assert await Outbox.filter(kind=REMINDER_KIND).count() == 1  # nothing queued again
    assert ann.inbox == [note]


async def test_a_flash_deal_that_ran_out_while_the_bot_was_down_ends_at_start_once(
    bot, tg: FakeTelegram, config: Config, frozen
) -> None:
    frozen.set(NOON)
    shop = await make_shop("Lao Wang Noodles")
    template = await add_coupon(shop)
    boss = await owner(tg)
    ann = await follower(tg, 86, shop)
    deal = await launch_flash(config, shop, template, 30)
    await delivered(tg, [86])
    [push] = ann.inbox

    await bot.stop()
    frozen.advance(minutes=45)
    await bot.start()  # returns once the catch-up has run
    assert push.text.startswith("⌛ This flash deal from Lao Wang Noodles has ended.")
    assert len(push.edits) == 1 and not push.buttons
    [notice] = ended_notices(boss)
    assert "has ended: 0 of 10 claimed" in notice
    assert (await Promotion.get(id=deal.id)).status == PromotionStatus.ENDED
    assert not bot.app.job_queue.get_jobs_by_name(f"flash-end:{deal.id}")

    await bot.restart()
    assert len(push.edits) == 1 and len(ended_notices(boss)) == 1
    assert not bot.app.job_queue.get_jobs_by_name(f"flash-end:{deal.id}")


async def test_a_deals_timer_fired_early_waits_and_on_time_ends_the_deal(
    bot, tg: FakeTelegram, config: Config, frozen
) -> None:
    """The timer's own path (APScheduler → the job → the bot's views); the edits of pushed
    messages are the other tests' business."""
    frozen.set(NOON)
    shop = await make_shop("Lao Wang Noodles")
    template = await add_coupon(shop)
    boss = await owner(tg)
    await follower(tg, 87, shop)
    deal = await launch_flash(config, shop, template, 30)
    assert deal.ends_at is not None
    FLASH_DEAL_ENDS.at(bot.app.job_queue, deal.id, deal.ends_at)  # as /flash sets it
    name = f"flash-end:{deal.id}"

    [timer] = bot.app.job_queue.get_jobs_by_name(name)
    await timer.run(bot.app)  # fired early: the bot's clock still says 12:00
    assert (await Promotion.get(id=deal.id)).status in promotions.LIVE
    [again] = bot.app.job_queue.get_jobs_by_name(name)
    assert again.next_t is not None
    assert 29 * 60 < (again.next_t - datetime.now(UTC)).total_seconds() <= 30 * 60

    frozen.advance(minutes=30)
    FLASH_DEAL_ENDS.at(bot.app.job_queue, deal.id, deal.ends_at)  # due now: fires at once
    [notice] = await boss.wait_for(lambda: ended_notices(boss))
    assert "has ended: 0 of 10 claimed" in notice
    assert (await Promotion.get(id=deal.id)).status == PromotionStatus.ENDED
    assert not bot.app.job_queue.get_jobs_by_name(name)
