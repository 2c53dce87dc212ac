"""Timed jobs without Telegram, on SQLite and PostgreSQL: coupon reminders and the end of flash
deals as the scheduler runs them, after downtime too, with a recorder in place of the bot's
views; timers set again at start through a stand-in for the JobQueue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import clock
from bot.clock import Clock, FrozenClock
from bot.db import start_db, stop_db
from bot.models import (
    Coupon,
    CouponClaim,
    CouponKind,
    CouponStatus,
    Outbox,
    OutboxStatus,
    Promotion,
    PromotionAudience,
    PromotionStatus,
    Shop,
)
from bot.services import coupons, follows, outbox, promotions
from bot.services.care import SurveyDue
from bot.services.coupons import WalletItem
from bot.services.shops import ShopDraft, create_shop
from bot.services.users import ensure_user
from scheduler import FLASH_DEAL_ENDS, Views
from scheduler.flash_deals import due_moments, end_if_due
from scheduler.reminders import REMINDER_KIND, campaign_of, remind_expiring
from scheduler.runner import Timers

NOW = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
OWNER, ANN, BOB = 1, 100, 101


class Recorder:
    """The bot's side of timed work, written down instead of sent."""

    def __init__(self) -> None:
        self.wakes = 0
        self.ended: list[tuple[int, str]] = []
        self.views = Views(
            wake_sender=self._wake,
            reminder_payload=self._payload,
            announce_flash_end=self._announce,
            survey_payload=self._survey,
        )

    def _wake(self) -> None:
        self.wakes += 1

    @staticmethod
    def _payload(item: WalletItem) -> Mapping[str, Any]:
        return {"text": f"{item.coupon.title} expires soon"}

    @staticmethod
    def _survey(due: SurveyDue) -> Mapping[str, Any]:
        return {"text": f"How was {due.shop_name}?"}

    async def _announce(self, promotion: Promotion, reason: str) -> None:
        self.ended.append((promotion.id, reason))


class StandInQueue:
    """What Timers asks of PTB's JobQueue (and its APScheduler): timers by name, with their
    delay in seconds."""

    def __init__(self) -> None:
        self.timers: dict[str, float] = {}
        self.scheduler = self

    def run_once(self, callback: Any, when: float, **options: Any) -> None:
        assert options["job_kwargs"]["id"] == options["name"]  # set again = replaced
        assert options["job_kwargs"]["replace_existing"]
        self.timers[options["name"]] = when

    def get_job(self, job_id: str) -> float | None:
        return self.timers.get(job_id)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    stopped = FrozenClock(NOW)
    clock.install(stopped)
    try:
        yield stopped
    finally:
        clock.install(Clock())


@pytest.fixture
async def shop(db_url: str) -> AsyncIterator[Shop]:
    """An approved noodle shop (owner OWNER) followed by ANN and BOB."""
    await start_db(db_url)
    try:
        for user_id, name in ((OWNER, "Wang"), (ANN, "Ann"), (BOB, "Bob")):
            await ensure_user(user_id, name, None, "en")
        draft = ShopDraft(name="Lao Wang Noodles", category="dining", lat=31.23, lng=121.47)
        noodles = await create_shop(OWNER, draft, require_approval=False)
        for user_id in (ANN, BOB):
            await follows.follow_shop(user_id, noodles.id)
        yield noodles
    finally:
        await stop_db()


async def a_coupon(shop: Shop, title: str, **validity: Any) -> Coupon:
    return await coupons.create_coupon(
        shop.id, kind=CouponKind.AMOUNT, value=500, title=title, **(validity or {"valid_days": 30})
    )


async def a_flash_deal(shop: Shop, *, minutes: int = 30, stock: int = 10) -> Promotion:
    """A flash deal launched at NOW to the followers."""
    template = await a_coupon(shop, "¥5 off")
    promotion = await promotions.create_flash(
        shop, OWNER, template_id=template.id, stock=stock, minutes=minutes, text="Quick!",
        photo_file_id=None, audience=PromotionAudience.FOLLOWERS, chat_id=OWNER, now=NOW,
    )  # fmt: skip
    await promotions.launch(promotion, {"text": "Quick!"}, now=NOW)
    return promotion


# ---------------------------------------------------------------------------- reminders


async def test_a_reminder_is_queued_once_in_the_coupons_last_day(
    shop: Shop, recorder: Recorder
) -> None:
    ending = await a_coupon(shop, "Last call", valid_until=NOW + timedelta(hours=30))
    lasting = await a_coupon(shop, "Lasting")
    claim = await coupons.claim(ending.id, ANN, now=NOW)
    await coupons.claim(lasting.id, ANN, now=NOW)

    assert await remind_expiring(recorder.views, NOW) == 0  # 30 h to go
    assert recorder.wakes == 0
    assert await remind_expiring(recorder.views, NOW + timedelta(hours=7)) == 1
    [row] = await Outbox.all()
    assert (row.campaign, row.kind, row.user_id) == (campaign_of(claim.id), REMINDER_KIND, ANN)
    assert row.payload == {"text": "Last call expires soon"}
    assert (row.not_before, row.expires_at) == (NOW + timedelta(hours=7), claim.expires_at)
    assert recorder.wakes == 1 and (await CouponClaim.get(id=claim.id)).reminded

    assert await remind_expiring(recorder.views, NOW + timedelta(hours=8)) == 0  # never twice
    assert recorder.wakes == 1 and await Outbox.all().count() == 1


async def test_after_downtime_only_reminders_still_meaningful_go_out(
    shop: Shop, recorder: Recorder
) -> None:
    due = await coupons.claim(
        (await a_coupon(shop, "Due", valid_until=NOW + timedelta(hours=30))).id, ANN, now=NOW
    )
    await coupons.claim(
        (await a_coupon(shop, "Gone", valid_until=NOW + timedelta(hours=12))).id, ANN, now=NOW
    )
    used = await coupons.claim(
        (await a_coupon(shop, "Used", valid_until=NOW + timedelta(hours=30))).id, BOB, now=NOW
    )
    await coupons.redeem(used.id, OWNER, now=NOW)

    back = NOW + timedelta(hours=24)  # no sweep ran while the bot was down
    assert await remind_expiring(recorder.views, back) == 1
    reminders = Outbox.filter(kind=REMINDER_KIND)  # the redemption also queued a welcome
    assert await reminders.values_list("campaign", flat=True) == [campaign_of(due.id)]

    # A crash between queueing and flagging loses the flag, never the at-most-once.
    await CouponClaim.filter(id=due.id).update(reminded=False)
    await remind_expiring(recorder.views, back)
    assert await Outbox.filter(kind=REMINDER_KIND).count() == 1


# -------------------------------------------------------------------------- flash deals


async def test_a_flash_deal_ends_at_its_end_once(shop: Shop, recorder: Recorder) -> None:
    deal = await a_flash_deal(shop, minutes=30)
    [sent] = await outbox.claim_due(NOW, 1)
    await outbox.mark_sent(sent.id, 77, NOW)
    end = NOW + timedelta(minutes=30)
    assert await due_moments(NOW) == {deal.id: end}

    assert not await end_if_due(recorder.views, deal.id, end - timedelta(seconds=1))
    assert recorder.ended == []
    assert await end_if_due(recorder.views, deal.id, end)
    assert recorder.ended == [(deal.id, "time")]
    assert (await Promotion.get(id=deal.id)).status == PromotionStatus.ENDED
    assert (await Coupon.get(id=deal.coupon_id)).status == CouponStatus.ENDED
    statuses = await Outbox.filter(campaign=f"promo:{deal.id}").values_list("status", flat=True)
    assert sorted(statuses) == [OutboxStatus.SENT, OutboxStatus.SKIPPED]  # Bob is not told late

    assert not await end_if_due(recorder.views, deal.id, end + timedelta(hours=1))
    assert recorder.ended == [(deal.id, "time")]
    assert await due_moments(end) == {}


async def test_a_deal_that_sold_out_without_ending_is_due_at_once(
    shop: Shop, recorder: Recorder
) -> None:
    deal = await a_flash_deal(shop, minutes=60, stock=1)
    await coupons.claim(deal.coupon_id, ANN, now=NOW)  # the sold-out check never ran (a crash)
    assert await due_moments(NOW) == {deal.id: NOW}
    assert await end_if_due(recorder.views, deal.id, NOW)
    assert recorder.ended == [(deal.id, "sold_out")]


async def test_catch_up_ends_what_ran_out_and_sets_timers_for_the_rest(
    shop: Shop, recorder: Recorder, frozen: FrozenClock
) -> None:
    short = await a_flash_deal(shop, minutes=30)
    long = await a_flash_deal(shop, minutes=120)
    frozen.set(NOW + timedelta(minutes=45))  # the bot was down from NOW until now

    queue = StandInQueue()
    assert await FLASH_DEAL_ENDS.catch_up(queue, recorder.views, clock.now()) == 1  # type: ignore[arg-type]
    assert recorder.ended == [(short.id, "time")]
    assert queue.timers == {f"flash-end:{long.id}": 75 * 60}

    again = StandInQueue()  # a second restart
    assert await FLASH_DEAL_ENDS.catch_up(again, recorder.views, clock.now()) == 0  # type: ignore[arg-type]
    assert recorder.ended == [(short.id, "time")]
    assert again.timers == {f"flash-end:{long.id}": 75 * 60}

    frozen.advance(minutes=10)  # the periodic look: the timer is there, left alone
    assert await FLASH_DEAL_ENDS.plan(again, recorder.views, clock.now()) == 0  # type: ignore[arg-type]
    assert again.timers == {f"flash-end:{long.id}": 75 * 60}


async def test_a_timer_fired_before_the_bots_clock_says_so_is_set_again(
    shop: Shop, recorder: Recorder, frozen: FrozenClock
) -> None:
    deal = await a_flash_deal(shop, minutes=30)
    queue = StandInQueue()
    frozen.set(NOW + timedelta(minutes=10))
    await FLASH_DEAL_ENDS.fire(queue, recorder.views, deal.id, clock.now())  # type: ignore[arg-type]
    assert recorder.ended == [] and queue.timers == {f"flash-end:{deal.id}": 20 * 60}
    frozen.set(NOW + timedelta(minutes=30))
    await FLASH_DEAL_ENDS.fire(queue, recorder.views, deal.id, clock.now())  # type: ignore[arg-type]
    assert recorder.ended == [(deal.id, "time")]


# ---------------------------------------------------------------------------- the table


async def test_one_failing_record_stops_none_of_the_others(recorder: Recorder) -> None:
    done: list[int] = []

    async def job(views: Views, key: int, now: datetime) -> bool:
        if key == 1:
            raise RuntimeError("broken record")
        done.append(key)
        return True

    async def due(now: datetime) -> dict[int, datetime]:
        return {1: now, 2: now}

    timers = Timers("test", job, due, replan_every=timedelta(minutes=1))
    with pytest.raises(ExceptionGroup) as caught:
        await timers.plan(StandInQueue(), recorder.views, NOW)  # type: ignore[arg-type]
    assert done == [2]
    assert [str(e) for e in caught.value.exceptions] == ["broken record"]

