"""/greetings end to end: the owner sees the year ahead (birthday counts, each holiday's next
date as the lunar calendar has it), switches a holiday off (the job then skips it), types a
hostile text (shown and previewed escaped), attaches a coupon, sets the days before a
birthday, previews exactly what a customer gets; a clerk and a customer are refused. A customer
stops one shop's greetings from under a delivered greeting; /settings switches them all off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from babel.dates import format_skeleton

from bot import clock
from bot.clock import FrozenClock
from bot.models import (
    CouponClaim,
    GreetingLog,
    GreetingOptOut,
    GreetingSettings,
    HolidayGreeting,
    Shop,
    Staff,
    StaffRole,
    User,
)
from bot.services import coupons, follows, greetings, occasions
from bot.services.users import update_profile
from bot.ui.buttons.greetings import (
    GreetingCoupon,
    GreetingCoupons,
    GreetingDays,
    GreetingOpen,
    GreetingPreview,
    GreetingsShop,
    GreetingSwitch,
    GreetingText,
    StopGreetings,
)
from scheduler import GREETINGS, views_of
from scheduler.greetings import send_greetings
from tests.e2e.helpers import make_shop
from tests.e2e.test_wallet import add_coupon, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

#: 10:30 in Shanghai, three days before the Spring Festival of 2031 (23 January).
NOW = datetime(2031, 1, 20, 2, 30, tzinfo=UTC)
TODAY = date(2031, 1, 20)
OWNER_ONLY = "Only the shop's owner can do that."
MERCHANT_ONLY = "This command is for shop owners and their staff."
EXPIRED = "This button has expired."
HOSTILE = '<b>Hi</b> {name} & <a href="x">{shop}</a> </i>'


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(NOW) as stopped:
        yield stopped


async def customer_of(tg: FakeTelegram, shop: Shop, user_id: int, name: str, born: date | None):
    """A customer of the shop (claimed one of its coupons), with a birthday or none."""
    person = await customer(tg, user_id, name)
    user = await User.get(id=user_id)
    if born is not None:
        await update_profile(user, birthday=born)
    coupon = await add_coupon(shop, title=f"Welcome {user_id}")
    await coupons.claim(coupon.id, user_id, now=clock.now())
    return person


async def open_greetings(boss: FakeUser) -> BotMessage:
    await boss.send("/greetings")
    return await boss.reply()


async def press_and_wait(person: FakeUser, message: BotMessage, data: str, shows: str) -> str:
    """Press a button of the message and wait until the message (edited in place) shows `shows`."""
    await person.press(message, data=data)
    await person.wait_for(lambda: shows in message.text)
    return message.text


def day_text(day: date) -> str:
    return format_skeleton("yMMMEd", day, locale="en")


async def run_job(bot, now: datetime) -> int:  # type: ignore[no-untyped-def]
    """The greeting job (scheduler/greetings.py) as the scheduler runs it, with the bot's
    views (its buttons under each greeting; waking the sender)."""
    [job] = bot.app.job_queue.get_jobs_by_name(GREETINGS.name)
    job.enabled = False  # the test runs the rounds itself, at the times it chooses
    return await send_greetings(views_of(bot.app), now)


# ------------------------------------------------------------------------- the owner


async def test_the_year_ahead_and_each_setting(bot, tg: FakeTelegram, frozen: FrozenClock) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await customer_of(tg, shop, 601, "Ann", date(1990, 1, 30))  # in 10 days
    await customer_of(tg, shop, 602, "Bob", date(1985, 5, 2))  # in about 100 days
    await customer_of(tg, shop, 603, "Cy", None)

    screen = await open_greetings(boss)
    assert "Greetings — Lao Wang Noodles" in screen.text
    assert "Who receives them: all customers" in screen.text
    assert "in the next 30 days: 1, in the next 12 months: 2" in screen.text
    assert "greeted 3 days before" in screen.text
    for key in greetings.config().holidays:  # each with its next date, by the library
        when = occasions.date_of(key, 2031)
        if when < TODAY:
            when = occasions.date_of(key, 2032)
        assert f"· {day_text(when)} ✅" in screen.text, key
    assert "🧧 Spring Festival · Thu, Jan 23, 2031 ✅" in screen.text
    assert "🎆 New Year's Day · Thu, Jan 1, 2032 ✅" in screen.text  # this year's is past

    # Switch the Spring Festival off.
    sid = shop.id
    await press_and_wait(
        boss, screen, GreetingOpen(shop_id=sid, occasion="spring_festival").pack(), "next on"
    )
    assert "🧧 Spring Festival · next on Thu, Jan 23, 2031" in screen.text
    switch_off = GreetingSwitch(shop_id=sid, occasion="spring_festival", on=False).pack()
    await press_and_wait(boss, screen, switch_off, "⏸ Off")
    row = await HolidayGreeting.get(shop_id=sid, occasion="spring_festival")
    assert row.enabled is False

    # A hostile text for the birthday: stored as typed, shown escaped.
    back = GreetingsShop(shop_id=sid).pack()
    await press_and_wait(boss, screen, back, "Spring Festival · Thu, Jan 23, 2031 ⏸")
    birthday = GreetingOpen(shop_id=sid, occasion="birthday").pack()
    await press_and_wait(boss, screen, birthday, "Sent 3 days before")
    await boss.press(screen, data=GreetingText(shop_id=sid, occasion="birthday").pack())
    assert "Send the new text" in (await boss.reply()).text
    await boss.send("x" * (greetings.TEXT_MAX + 1))  # too long: refused, nothing changes
    assert "too long" in (await boss.reply()).text
    assert (await GreetingSettings.get(shop_id=sid)).birthday_text is None
    await boss.send(HOSTILE)
    saved, shown = await boss.replies(2)
    assert "Text saved" in saved.text
    assert HOSTILE in shown.text  # the very characters typed, none taken as markup
    assert (await GreetingSettings.get(shop_id=sid)).birthday_text == HOSTILE
    tg.assert_no_errors()

    # Attach a coupon, then 5 days before.
    gift = await add_coupon(shop, title="Birthday noodles", valid_days=14)
    await press_and_wait(
        boss, shown, GreetingCoupons(shop_id=sid, occasion="birthday").pack(), "Which coupon"
    )
    attach = GreetingCoupon(shop_id=sid, occasion="birthday", coupon_id=gift.id).pack()
    await press_and_wait(boss, shown, attach, "Birthday noodles")
    assert (await GreetingSettings.get(shop_id=sid)).birthday_coupon_id == gift.id
    await press_and_wait(
        boss, shown, GreetingDays(shop_id=sid, days=5).pack(), "Sent 5 days before"
    )
    assert (await GreetingSettings.get(shop_id=sid)).birthday_days_before == 5

    # Bad input changes nothing: 9 days before, another shop's coupon.
    other = await make_shop("Other Place", owner_id=700)
    theirs = await add_coupon(other, title="Not yours")
    for forged in (
        f"grt:days:{sid}:9",
        GreetingCoupon(shop_id=sid, occasion="birthday", coupon_id=theirs.id).pack(),
        f"grt:open:{sid}:easter",
        f"grt:open:{sid}:all",  # the master switch's pseudo-occasion has no screen
    ):
        await boss.press_data(shown.message_id, forged)
        assert EXPIRED in (await boss.callback_answer())["text"], forged
    settings = await GreetingSettings.get(shop_id=sid)
    assert (settings.birthday_days_before, settings.birthday_coupon_id) == (5, gift.id)
    on_the_day = GreetingDays(shop_id=sid, days=0).pack()
    await press_and_wait(boss, shown, on_the_day, "Sent on each customer's birthday.")
    assert (await GreetingSettings.get(shop_id=sid)).birthday_days_before == 0

    # The preview: exactly what a customer receives, escaped, with the gift button.
    await boss.press(shown, data=GreetingPreview(shop_id=sid, occasion="birthday").pack())
    note, preview = await boss.replies(2)
    assert "Preview" in note.text
    assert preview.text.startswith('<b>Hi</b> Owner & <a href="x">Lao Wang Noodles</a> </i>')
    assert "Birthday noodles" in preview.text
    assert preview.button_texts == [
        "🎁 Birthday noodles",
        "🔕 No more greetings from Lao Wang Noodles",
    ]
    tg.assert_no_errors()


async def test_a_holiday_switched_off_is_skipped_by_the_job(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    ann = await customer_of(tg, shop, 611, "Ann", None)
    screen = await open_greetings(boss)
    sid = shop.id
    await press_and_wait(
        boss, screen, GreetingOpen(shop_id=sid, occasion="spring_festival").pack(), "next on"
    )
    await press_and_wait(
        boss,
        screen,
        GreetingSwitch(shop_id=sid, occasion="spring_festival", on=False).pack(),
        "⏸ Off",
    )
    frozen.set(datetime(2031, 1, 23, 2, 30, tzinfo=UTC))  # the Spring Festival, 10:30 local
    assert await run_job(bot, clock.now()) == 0
    assert not await GreetingLog.exists(shop_id=sid)
    # Switched on again: greeted.
    await press_and_wait(
        boss,
        screen,
        GreetingSwitch(shop_id=sid, occasion="spring_festival", on=True).pack(),
        "✅ On",
    )
    assert await run_job(bot, clock.now()) == 1
    greeting = await ann.reply(timeout=15)
    assert "Lao Wang Noodles" in greeting.text
    assert greeting.button_texts == ["🔕 No more greetings from Lao Wang Noodles"]


@pytest.mark.parametrize("role", ["clerk", "customer"])
async def test_clerks_and_customers_are_refused(
    bot, tg: FakeTelegram, frozen: FrozenClock, role: str
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    person = await customer(tg, 620, "Zhou")
    if role == "clerk":
        await Staff.create(shop=shop, user_id=620, role=StaffRole.CLERK)
    await person.send("/greetings")
    assert (OWNER_ONLY if role == "clerk" else MERCHANT_ONLY) in (await person.reply()).text
    sid = shop.id
    for data in (
        GreetingSwitch(shop_id=sid, occasion="spring_festival", on=False).pack(),
        GreetingDays(shop_id=sid, days=0).pack(),
        GreetingText(shop_id=sid, occasion="birthday").pack(),
        GreetingPreview(shop_id=sid, occasion="birthday").pack(),
    ):
        await person.press_data((await person_message(person)).message_id, data)
        refusal = (await person.callback_answer())["text"]
        assert (OWNER_ONLY if role == "clerk" else EXPIRED) in refusal, data
    await person.send("Hacked text")  # no flow was started: nothing is saved
    await person.reply()
    assert not await HolidayGreeting.exists(shop_id=sid)
    assert not await GreetingSettings.filter(shop_id=sid, birthday_text__isnull=False).exists()
    settings = await GreetingSettings.get_or_none(shop_id=sid)
    assert settings is None or settings.birthday_days_before == 3


async def person_message(person: FakeUser) -> BotMessage:
    await person.send("/help")
    return await person.reply()


# ---------------------------------------------------------------------- the customer


async def two_shops_and_ann(tg: FakeTelegram) -> tuple[Shop, Shop, FakeUser]:
    noodles = await make_shop("Lao Wang Noodles")
    tea = await make_shop("Jade Tea", owner_id=701)
    ann = await customer_of(tg, noodles, 631, "Ann", None)
    claim_tea = await add_coupon(tea, title="Tea")
    await coupons.claim(claim_tea.id, 631, now=clock.now())
    return noodles, tea, ann


async def test_no_more_greetings_from_one_shop(bot, tg: FakeTelegram, frozen: FrozenClock) -> None:
    noodles, _, ann = await two_shops_and_ann(tg)
    frozen.set(datetime(2031, 1, 23, 2, 30, tzinfo=UTC))  # Spring Festival
    assert await run_job(bot, clock.now()) == 1  # one message for both shops
    bundle = await ann.reply(timeout=15)
    assert "Lao Wang Noodles" in bundle.text and "Jade Tea" in bundle.text
    stop = StopGreetings(shop_id=noodles.id).pack()
    await ann.press(bundle, data=stop)
    assert "no more greetings from Lao Wang Noodles" in (await ann.callback_answer())["text"]
    await ann.wait_for(
        lambda: "↩️ Undo: greetings from Lao Wang Noodles again" in bundle.button_texts
    )
    assert await GreetingOptOut.exists(user_id=631, shop_id=noodles.id)

    frozen.set(datetime(2031, 2, 6, 2, 30, tzinfo=UTC))  # Lantern Festival, 6 February 2031
    assert occasions.date_of("lantern", 2031) == date(2031, 2, 6)
    assert await run_job(bot, clock.now()) == 1
    lantern = await ann.reply(timeout=15)
    assert "Jade Tea" in lantern.text and "Lao Wang Noodles" not in lantern.text
    assert await GreetingLog.filter(user_id=631, occasion="lantern").count() == 1

    # Undo: greeted again on the next occasion.
    await ann.press(bundle, text="↩️ Undo: greetings from Lao Wang Noodles again")
    assert "back on" in (await ann.callback_answer())["text"]
    assert not await GreetingOptOut.exists(user_id=631, shop_id=noodles.id)


async def test_muting_a_shop_stops_its_greetings(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    noodles, _, ann = await two_shops_and_ann(tg)
    await follows.follow_shop(631, noodles.id)
    assert await follows.mute_shop(631, noodles.id)
    frozen.set(datetime(2031, 1, 23, 2, 30, tzinfo=UTC))
    assert await run_job(bot, clock.now()) == 1
    greeting = await ann.reply(timeout=15)
    assert "Jade Tea" in greeting.text and "Lao Wang Noodles" not in greeting.text


async def test_settings_switch_all_greetings_off_and_on(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    _, _, ann = await two_shops_and_ann(tg)
    await ann.send("/settings")
    menu = await ann.reply()
    assert "🎉 Greetings from shops: on" in menu.button_texts
    await ann.press(menu, text="🎉 Greetings from shops: on")
    assert "No more birthday or holiday greetings" in (await ann.callback_answer())["text"]
    await ann.wait_for(lambda: "🎉 Greetings from shops: off" in menu.button_texts)
    assert await GreetingOptOut.exists(user_id=631, shop_id=None)

    frozen.set(datetime(2031, 1, 23, 2, 30, tzinfo=UTC))
    assert await run_job(bot, clock.now()) == 0
    await ann.press(menu, text="🎉 Greetings from shops: off")
    await ann.callback_answer()
    await ann.wait_for(lambda: "🎉 Greetings from shops: on" in menu.button_texts)
    assert await run_job(bot, clock.now()) == 1
    assert "Jade Tea" in (await ann.reply(timeout=15)).text
    await ann.send("/settings")
    assert "🎉 Greetings from shops: on" in (await ann.reply()).button_texts


async def test_a_granted_birthday_coupon_opens_from_the_greeting(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer_of(tg, shop, 641, "Ann", date(1990, 1, 23))  # 3 days ahead
    gift = await add_coupon(shop, title="Birthday noodles", valid_days=14)
    await greetings.update_settings(shop.id, birthday_coupon_id=gift.id)
    assert await run_job(bot, clock.now()) == 1
    greeting = await ann.reply(timeout=15)
    assert "Ann" in greeting.text and "Birthday noodles" in greeting.text
    assert greeting.button_texts == [
        "🎁 Birthday noodles",
        "🔕 No more greetings from Lao Wang Noodles",
    ]
    claim = await CouponClaim.get(coupon_id=gift.id, user_id=641)
    await ann.press(greeting, text="🎁 Birthday noodles")
    card = await ann.reply()
    assert card.method == "sendPhoto" and claim.code.replace("-", "")[:4] in (card.caption or "")


# ------------------------------------------------------------------ the promotion composer


async def test_the_composer_shows_who_can_still_get_a_message_this_week(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    for user_id, name in ((651, "Ann"), (652, "Bob")):
        await customer_of(tg, shop, user_id, name, None)
    cap = greetings.weekly_cap().per_shop
    for year in range(cap):  # Ann had her weekly allowance from this shop (greetings count)
        await GreetingLog.create(
            user_id=651, shop_id=shop.id, occasion="birthday", year=2000 + year, created_at=NOW
        )
    await boss.send("/promo")
    ask = await boss.reply()
    assert "What would you like to tell people?" in ask.text
    assert (
        f"This week 1 of your 2 customers can still receive a message from you "
        f"(each person gets at most {cap} messages a week from one shop" in ask.text
    )
    frozen.advance(days=8)  # a week later everyone can again
    await boss.send("/cancel")
    await boss.reply()
    await boss.send("/promo")
    assert "This week 2 of your 2 customers" in (await boss.reply()).text


async def test_an_owner_of_two_shops_picks_one_and_sets_audience_and_pause(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    await make_shop("Lao Wang Noodles")
    tea = await make_shop("Jade Tea")  # same owner
    boss = await owner(tg)
    await boss.send("/greetings")
    picker = await boss.reply()
    assert "Greetings for which shop?" in picker.text
    await press_and_wait(boss, picker, GreetingsShop(shop_id=tea.id).pack(), "Greetings — Jade Tea")
    screen = picker
    await press_and_wait(boss, screen, f"grt:auds:{tea.id}", "Who should receive")
    assert "✓ all customers" in screen.button_texts
    await press_and_wait(
        boss, screen, f"grt:aud:{tea.id}:members", "Who receives them: card members only"
    )
    assert (await GreetingSettings.get(shop_id=tea.id)).audience == "members"
    await boss.press_data(screen.message_id, f"grt:aud:{tea.id}:everyone")  # forged: refused
    assert EXPIRED in (await boss.callback_answer())["text"]

    await press_and_wait(boss, screen, f"grt:sw:{tea.id}:all:0", "All greetings are paused")
    assert (await GreetingSettings.get(shop_id=tea.id)).enabled is False
    assert "🧧 Spring Festival · Thu, Jan 23, 2031 ⏸" in screen.text
    await press_and_wait(
        boss, screen, f"grt:sw:{tea.id}:all:1", "Spring Festival · Thu, Jan 23, 2031 ✅"
    )
    assert (await GreetingSettings.get(shop_id=tea.id)).enabled is True


async def test_an_ended_coupon_cannot_be_attached(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    old = await add_coupon(shop, title="Old deal")
    await coupons.end(old.id, shop.id)
    screen = await open_greetings(boss)
    birthday = GreetingOpen(shop_id=shop.id, occasion="birthday").pack()
    await press_and_wait(boss, screen, birthday, "Birthday greeting")
    await press_and_wait(
        boss, screen, GreetingCoupons(shop_id=shop.id, occasion="birthday").pack(), "no coupon"
    )
    attach = GreetingCoupon(shop_id=shop.id, occasion="birthday", coupon_id=old.id).pack()
    assert (attach in screen.callback_data) is False
    await boss.press_data(screen.message_id, attach)
    assert EXPIRED in (await boss.callback_answer())["text"]
    assert (await greetings.settings_of(shop.id)).birthday_coupon_id is None
