"""Birthday and holiday greetings, end to end with an injected clock: the real bot, its greeting
job (as the scheduler runs it, and through restarts' catch-up), the one sender and the fake Bot
API. A birthday three days ahead at 10:00 local and not before; 29 February in a leap and a
common year; every holiday on its lunar (or fixed) date in two years, checked against borax;
three shops' greetings bundled into one message with a granted coupon; opting out per shop and
entirely, muting; a restart right after sending; two runs at once; the reader's own name and
language filled in at send time, with a hostile shop text shown as typed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from borax.calendars.lunardate import LunarDate

from bot import clock
from bot.clock import FrozenClock
from bot.config import Config
from bot.models import CouponClaim, GreetingLog, Outbox, OutboxStatus, Shop, User
from bot.sender import sender_of
from bot.services import follows, greetings
from bot.services.purchases import record_purchase
from bot.services.users import update_profile
from bot.ui.buttons.greetings import StopGreetings
from bot.ui.buttons.wallet import OpenCoupon
from scheduler import views_of
from scheduler.greetings import send_greetings
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_promo import final_report, follower, launch
from tests.e2e.test_wallet import add_coupon, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser

SHANGHAI = timedelta(hours=8)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - SHANGHAI


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(local(date(2030, 3, 1), 8)) as stopped:
        yield stopped


async def regular(shop: Shop, user_id: int, at: datetime | None = None) -> None:
    """The person bought at the shop: one of its customers."""
    await record_purchase(shop.id, user_id, 1500, OWNER_ID, now=at or clock.now())


async def born(user_id: int, birthday: date) -> None:
    await update_profile(await User.get(id=user_id), birthday=birthday)


async def run_job(bot) -> int:
    """One run of the greeting job, as the scheduler runs it."""
    return await send_greetings(views_of(bot.app), clock.now())


def greetings_in(person: FakeUser, *needles: str) -> list[str]:
    return [m.text for m in person.inbox if m.text and all(n in m.text for n in needles)]


async def settled(tg: FakeTelegram) -> None:
    """Every queued greeting has been handed to Telegram (or given up)."""

    deadline = time.monotonic() + 15
    while await Outbox.filter(kind="greeting", status=OutboxStatus.PENDING).exists():
        assert time.monotonic() < deadline, "greetings still waiting to be sent"
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------------------ birthdays


async def test_a_birthday_three_days_ahead_at_ten_local_once(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, 41, "Ann")
    await regular(shop, 41)
    await born(41, date(1990, 3, 4))  # 1 March + 3 days

    frozen.set(local(date(2030, 3, 1), 9, 59))
    assert await run_job(bot) == 0  # not before 10:00 in her time zone
    frozen.set(local(date(2030, 3, 1), 10, 0))
    assert await run_job(bot) == 1
    note = await ann.reply()
    assert note.text.startswith("🎂 Happy birthday, Ann!")
    assert note.text.endswith("— Lao Wang Noodles")
    assert note.button_texts == ["🔕 No more greetings from Lao Wang Noodles"]
    assert note.buttons[0][0]["callback_data"] == StopGreetings(shop_id=shop.id).pack()

    frozen.advance(minutes=15)
    assert await run_job(bot) == 0  # the next runs: done already
    frozen.set(local(date(2030, 3, 4), 10, 30))
    assert await run_job(bot) == 0  # the birthday itself: greeted 3 days before, once
    await bot.restart()
    await settled(tg)
    assert len(ann.inbox) == 1
    [log] = await GreetingLog.all().values_list("user_id", "shop_id", "occasion", "year")
    assert log == (41, shop.id, "birthday", 2030)


async def test_29_february_in_a_common_and_a_leap_year(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await greetings.update_settings(shop.id, birthday_days_before=0)
    leo = await customer(tg, 42, "Leo")
    await regular(shop, 42)
    await born(42, date(2000, 2, 29))

    frozen.set(local(date(2031, 2, 27), 12))
    assert await run_job(bot) == 0
    frozen.set(local(date(2031, 2, 28), 12))  # 2031 has no 29 February: greeted on the 28th
    assert await run_job(bot) == 1
    assert (await leo.reply()).text.startswith("🎂 Happy birthday, Leo!")
    frozen.set(local(date(2031, 3, 1), 12))
    assert await run_job(bot) == 0

    frozen.set(local(date(2032, 2, 28), 12))  # 2032 is a leap year: not on the 28th...
    assert await run_job(bot) == 0
    frozen.set(local(date(2032, 2, 29), 12))  # ...but on the day itself
    assert await run_job(bot) == 1
    await leo.wait_for(lambda: len(leo.inbox) == 2)
    years = await GreetingLog.filter(user_id=42).order_by("year").values_list("year", flat=True)
    assert years == [2031, 2032]


# ------------------------------------------------------------------------------- holidays

#: Each holiday as the library dates it (lunar month and day, or None for a fixed date).
HOLIDAYS = {
    "new_year": (None, (1, 1), "🎉 Happy New Year"),
    "spring_festival": ((1, 1), None, "🧧 Happy Chinese New Year"),
    "lantern": ((1, 15), None, "🏮 Happy Lantern Festival"),
    "valentine": (None, (2, 14), "💝 Happy Valentine's Day"),
    "labour_day": (None, (5, 1), "🌿 Happy Labour Day"),
    "dragon_boat": ((5, 5), None, "🐉 Happy Dragon Boat Festival"),
    "qixi": ((7, 7), None, "💞 Happy Qixi"),
    "mid_autumn": ((8, 15), None, "🥮 Happy Mid-Autumn Festival"),
    "national_day": (None, (10, 1), "🇨🇳 Happy National Day"),
}


def library_date(key: str, year: int) -> date:
    lunar, solar, _ = HOLIDAYS[key]
    if lunar is not None:
        return LunarDate(year, *lunar).to_solar_date()
    return date(year, *solar)


@pytest.mark.parametrize("year", [2030, 2031])
async def test_each_holiday_on_its_date(
    bot, tg: FakeTelegram, frozen: FrozenClock, year: int
) -> None:
    """In 2031 Mid-Autumn falls on National Day: both greetings come in one message."""
    shop = await make_shop("Lao Wang Noodles")
    mei = await customer(tg, 43, "Mei")
    await regular(shop, 43, local(date(year - 1, 12, 1), 12))
    days: dict[date, list[str]] = {}
    for key in HOLIDAYS:
        days.setdefault(library_date(key, year), []).append(key)
    for day, keys in sorted(days.items()):
        before = len(mei.inbox)
        frozen.set(local(day - timedelta(days=1), 23, 30))
        assert await run_job(bot) == 0, keys
        frozen.set(local(day, 9, 45))
        assert await run_job(bot) == 0, keys
        frozen.set(local(day, 10, 5))
        assert await run_job(bot) == 1, keys
        await mei.wait_for(lambda before=before: len(mei.inbox) == before + 1)
        text = mei.inbox[-1].text
        for key in keys:
            assert f"{HOLIDAYS[key][2]}, Mei!" in text, (key, text)
        assert text.startswith(HOLIDAYS[keys[0]][2]) and text.endswith("— Lao Wang Noodles")
        assert text.count("— Lao Wang Noodles") == len(keys)
        assert mei.inbox[-1].button_texts == ["🔕 No more greetings from Lao Wang Noodles"]
        assert await run_job(bot) == 0, keys
    assert len(mei.inbox) == len(days)
    logged = await GreetingLog.filter(user_id=43).values_list("occasion", "year")
    assert sorted(logged) == sorted((key, year) for key in HOLIDAYS)


# ------------------------------------------------------------------------------ bundling

MID_AUTUMN_2030 = LunarDate(2030, 8, 15).to_solar_date()


async def three_shops() -> list[Shop]:
    return [
        await make_shop(name, north_m=i * 100)
        for i, name in enumerate(("Lao Wang Noodles", "Sunny Laundry", "Lily Hair"))
    ]


async def test_three_shops_greetings_bundled_in_one_message_with_a_gift(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    noodles, laundry, hair = await three_shops()
    mooncake = await add_coupon(laundry, title="Free mooncake", granted=True)
    await greetings.set_holiday(laundry.id, "mid_autumn", coupon_id=mooncake.id)
    await greetings.set_holiday(
        hair.id, "mid_autumn", text="Mid-Autumn wishes, {name}! Lily & the team at {shop}"
    )
    ann = await customer(tg, 44, "Ann")
    for shop in (noodles, laundry, hair):
        await regular(shop, 44, local(MID_AUTUMN_2030, 0) - timedelta(days=30))

    frozen.set(local(MID_AUTUMN_2030, 10, 0))
    await bot.restart()  # the catch-up at start runs the job
    note = await ann.reply()
    assert note.text.count("Happy Mid-Autumn Festival, Ann!") == 2  # two default texts
    assert "— Lao Wang Noodles" in note.text and "— Sunny Laundry" in note.text
    assert "Mid-Autumn wishes, Ann! Lily & the team at Lily Hair" in note.text
    assert "🎁 A little gift is waiting in your coupons: Free mooncake" in note.text
    assert note.button_texts == [
        "🎁 Free mooncake",
        "🔕 No more greetings from Lao Wang Noodles",
        "🔕 No more greetings from Sunny Laundry",
        "🔕 No more greetings from Lily Hair",
    ]
    claim = await CouponClaim.get(user_id=44)  # granted: in her wallet, no claim needed
    assert claim.coupon_id == mooncake.id
    assert note.buttons[0][0]["callback_data"] == OpenCoupon(claim_id=claim.id).pack()
    assert await Outbox.filter(kind="greeting").count() == 1
    assert await GreetingLog.filter(user_id=44).count() == 3

    await bot.restart()
    await settled(tg)
    assert ann.inbox == [note]
    assert await CouponClaim.filter(user_id=44).count() == 1


async def test_opting_out_per_shop_entirely_and_muting(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    noodles, laundry, hair = await three_shops()
    bob, cai, dan = [await customer(tg, i, n) for i, n in ((45, "Bob"), (46, "Cai"), (47, "Dan"))]
    for user_id in (45, 46, 47):
        for shop in (noodles, laundry, hair):
            await regular(shop, user_id, local(MID_AUTUMN_2030, 0) - timedelta(days=30))
    assert await greetings.opt_out(45, noodles.id)  # Bob: not from the noodle shop
    assert await greetings.opt_out(46, None)  # Cai: none at all
    assert await follows.mute_shop(47, laundry.id)  # Dan muted the laundry

    frozen.set(local(MID_AUTUMN_2030, 10, 30))
    assert await run_job(bot) == 2
    [to_bob] = await bob.wait_for(lambda: bob.inbox)
    [to_dan] = await dan.wait_for(lambda: dan.inbox)
    assert "Noodles" not in to_bob.text and "— Sunny Laundry" in to_bob.text
    assert "— Lily Hair" in to_bob.text
    assert "Laundry" not in to_dan.text and "— Lao Wang Noodles" in to_dan.text
    assert "— Lily Hair" in to_dan.text
    await settled(tg)
    assert cai.inbox == []

    # Opting back in: the next holiday reaches Cai again.
    assert await greetings.opt_in(46, None)
    national = date(2030, 10, 1)
    frozen.set(local(national, 10, 30))
    assert await run_job(bot) == 3
    [to_cai] = await cai.wait_for(lambda: cai.inbox)
    assert to_cai.text.count("Happy National Day, Cai!") == 3


# ----------------------------------------------------------------- restarts and races


async def test_a_restart_right_after_sending_sends_nothing_twice(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    people = [await customer(tg, 60 + i, f"P{i}") for i in range(5)]
    for person in people:
        await regular(shop, person.id, local(MID_AUTUMN_2030, 0) - timedelta(days=3))
    frozen.set(local(MID_AUTUMN_2030, 10, 15))
    assert await run_job(bot) == 5
    await settled(tg)
    await bot.restart()  # a real restart: another Application on the same database
    frozen.advance(minutes=15)
    assert await run_job(bot) == 0
    await bot.restart()
    await settled(tg)
    assert [len(p.inbox) for p in people] == [1] * 5
    assert await Outbox.filter(kind="greeting").count() == 5


async def test_two_runs_at_once_greet_once(bot, tg: FakeTelegram, frozen: FrozenClock) -> None:
    noodles, laundry, hair = await three_shops()
    people = [await customer(tg, 70 + i, f"P{i}") for i in range(6)]
    for person in people:
        for shop in (noodles, laundry, hair):
            await regular(shop, person.id, local(MID_AUTUMN_2030, 0) - timedelta(days=3))
    frozen.set(local(MID_AUTUMN_2030, 11))
    first, second = await asyncio.gather(run_job(bot), run_job(bot))
    assert first + second == 6
    await settled(tg)
    assert [len(p.inbox) for p in people] == [1] * 6
    assert await Outbox.filter(kind="greeting").count() == 6
    assert await GreetingLog.all().count() == 18


# -------------------------------------------------------------- per-recipient text


async def test_each_reader_gets_their_own_name_and_language_at_send_time(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Wang & <Sons>")
    hostile = '<b>Hi</b> {name} from {shop}! {coupon} {unknown} <a href="x">&amp;</a> {'
    await greetings.update_settings(shop.id, birthday_text=hostile, birthday_days_before=0)
    ann = await customer(tg, 51, "Ann")
    wei = await customer(tg, 52, "伟", lang="zh-hans")
    other = await make_shop("Lao Wang Noodles", north_m=200)
    for user_id in (51, 52):
        await regular(shop, user_id)
        await regular(other, user_id)
        await born(user_id, date(1991, 3, 1))
    await greetings.update_settings(other.id, birthday_days_before=0)
    # Ann's quiet hours hold her greeting until noon; meanwhile she changes her name.
    await User.filter(id=51).update(quiet_start=9 * 60, quiet_end=12 * 60)

    frozen.set(local(date(2030, 3, 1), 10))
    assert await run_job(bot) == 2
    [to_wei] = await wei.wait_for(lambda: wei.inbox)
    assert to_wei.text.startswith(
        '<b>Hi</b> 伟 from Wang & <Sons>! {coupon} {unknown} <a href="x">&amp;</a> {'
    )
    assert "🎂 伟，生日快乐！" in to_wei.text  # the other shop's default text, in Chinese
    assert to_wei.text.endswith("——Lao Wang Noodles 敬上")
    assert "&lt;b&gt;Hi&lt;/b&gt;" in to_wei.raw_text  # the shop's markup never became HTML

    await update_profile(await User.get(id=51), name="<Annie & Co>")
    frozen.set(local(date(2030, 3, 1), 12))
    sender = sender_of(bot.app)
    assert sender is not None
    sender.notify()
    [to_ann] = await ann.wait_for(lambda: ann.inbox)
    assert to_ann.text.startswith("<b>Hi</b> <Annie & Co> from Wang & <Sons>!")
    assert "🎂 Happy birthday, <Annie & Co>!" in to_ann.text
    assert "&lt;Annie &amp; Co&gt;" in to_ann.raw_text


# --------------------------------------------------------------------- the weekly cap


async def test_greetings_use_up_the_weekly_allowance_promotions_then_wait_a_week(
    bot, tg: FakeTelegram, config: Config, frozen: FrozenClock
) -> None:
    """The shop's greeting counts against its weekly cap; a promotion over the cap is skipped
    (and the merchant's report says so); other shops' and later weeks' are not."""
    cap = config.greetings.weekly_cap_per_shop
    shop = await make_shop("Lao Wang Noodles")
    ann = await follower(tg, 80, shop)
    await regular(shop, 80, local(MID_AUTUMN_2030, 0) - timedelta(days=3))
    frozen.set(local(MID_AUTUMN_2030, 10))
    assert await run_job(bot) == 1
    await ann.wait_for(lambda: len(ann.inbox) == 1)
    for n in range(1, cap):  # one a day: the daily limit on promotions stays out of the way
        frozen.set(local(MID_AUTUMN_2030 + timedelta(days=n), 12))
        await launch(config, shop, f"Offer number {n}", now=clock.now())
        await ann.wait_for(lambda n=n: len(ann.inbox) == n + 1)
    assert await greetings.weekly_count(shop.id, 80, clock.now()) == cap
    assert (await greetings.weekly_cap_left(shop.id, clock.now())).people_at_cap == 1

    frozen.set(local(MID_AUTUMN_2030 + timedelta(days=6), 12))
    over = await launch(config, shop, "One too many", now=clock.now())
    report = await final_report(await owner(tg), bot, over)
    assert "⏭ 1 skipped" in report.text and "this week's messages from your shop" in report.text
    row = await Outbox.get(campaign=f"promo:{over.id}")
    assert (row.status, row.error) == (OutboxStatus.SKIPPED, "weekly_cap")

    frozen.set(local(MID_AUTUMN_2030 + timedelta(days=7), 12))  # the greeting left the window
    await launch(config, shop, "A new week", now=clock.now())
    await ann.wait_for(lambda: ann.inbox[-1].text and "A new week" in ann.inbox[-1].text)
    assert not any("One too many" in (m.text or "") for m in ann.inbox)


async def test_downtime_a_day_still_on_is_caught_up_at_start_a_day_gone_is_not(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, 90, "Ann")
    bob = await customer(tg, 91, "Bob")
    await regular(shop, 90, local(date(2030, 9, 1), 12))
    await regular(shop, 91, local(date(2030, 9, 1), 12))
    await greetings.update_settings(shop.id, birthday_days_before=0)
    await born(91, date(1990, 10, 2))  # Bob's birthday: the day after National Day

    frozen.set(local(date(2030, 10, 1), 9))
    await bot.stop()
    frozen.set(local(date(2030, 10, 1), 21))  # down from 09:00 to 21:00 on National Day
    await bot.start()  # the catch-up at start greets for the day still under way
    assert "Happy National Day, Ann!" in (await ann.reply()).text
    await bob.wait_for(lambda: bob.inbox)

    await bot.stop()
    frozen.set(local(date(2030, 10, 3), 10, 30))  # down all of Bob's birthday
    await bot.start()
    await settled(tg)
    assert len(bob.inbox) == 1  # National Day only: his birthday greeting was not late-sent
    assert len(ann.inbox) == 1
    assert not await GreetingLog.filter(user_id=91, occasion="birthday").exists()
