"""Greeting services on SQLite and PostgreSQL: the weekly per-shop cap (the sender's gate and
the composer's figure), granted coupons, the daily birthday selection and its audiences,
settings changes and refusals, the year ahead and the preview."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.models import (
    Coupon,
    CouponClaim,
    CouponKind,
    CustomerEvent,
    GreetingLog,
    Outbox,
    OutboxStatus,
    Shop,
    ShopStatus,
    User,
)
from bot.services import coupons, follows, greetings, outbox
from bot.services.customers import record_event
from bot.services.greetings import GreetingError
from bot.services.outbox import DeliveryPolicy, WeeklyCap
from bot.services.users import update_profile

NOW = datetime(2030, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
OWNER = 10


async def shop(name: str = "Noodles") -> Shop:
    return await Shop.create(
        owner_id=OWNER, name=name, category="dining", lat=31.2, lng=121.5,
        status=ShopStatus.APPROVED,
    )


async def push(shop_id: int, user_id: int, n: int, kind: str = "promo") -> None:
    await outbox.enqueue(
        f"{kind}-{shop_id}-{n}", kind, [user_id], {"text": "hi"}, not_before=NOW, shop_id=shop_id
    )


POLICY = DeliveryPolicy(default_daily_cap=10, weekly_cap=WeeklyCap(per_shop=2))


async def test_the_weekly_cap_per_shop_and_person(db: None) -> None:
    noodles, laundry = await shop(), await shop("Laundry")
    await push(noodles.id, 1, 1)
    await push(noodles.id, 1, 2)
    await push(laundry.id, 1, 3)
    ready = await outbox.claim_due(NOW, 10, POLICY)
    assert len(ready) == 3  # two from the noodle shop, one from the laundry
    for row in ready:
        await outbox.mark_sent(row.id, 1, NOW)
    assert await greetings.weekly_count(noodles.id, 1, NOW) == 2

    await push(noodles.id, 1, 4)  # a third from the noodle shop within the week: skipped
    await push(laundry.id, 1, 5)  # the laundry's second: fine
    await push(noodles.id, 2, 6)  # someone else: fine
    ready = await outbox.claim_due(NOW + timedelta(days=6), 10, POLICY)
    assert sorted((r.shop_id, r.user_id) for r in ready) == sorted(
        [(laundry.id, 1), (noodles.id, 2)]
    )
    skipped = await Outbox.get(campaign=f"promo-{noodles.id}-4")
    assert (skipped.status, skipped.error) == (OutboxStatus.SKIPPED, "weekly_cap")

    # A week after the first two, the noodle shop may write to them again.
    await push(noodles.id, 1, 7)
    [row] = await outbox.claim_due(NOW + timedelta(days=7, minutes=1), 10, POLICY)
    assert row.campaign == f"promo-{noodles.id}-7"


async def test_greetings_count_against_the_cap_but_are_never_held_back(db: None) -> None:
    noodles = await shop()
    for occasion in ("birthday", "mid_autumn"):
        await GreetingLog.create(
            user_id=1, shop_id=noodles.id, occasion=occasion, year=2030, created_at=NOW
        )
    await outbox.enqueue(
        "greet", "greeting", [1], {"text": "hi"}, not_before=NOW, shop_id=noodles.id
    )
    await push(noodles.id, 1, 1)
    ready = await outbox.claim_due(NOW, 10, POLICY)
    assert [r.kind for r in ready] == ["greeting"]  # the promotion: over the cap
    assert await greetings.weekly_count(noodles.id, 1, NOW) == 2
    assert await greetings.weekly_count(noodles.id, 1, NOW + timedelta(days=8)) == 0


async def test_the_cap_left_for_the_composer(db: None) -> None:
    noodles = await shop()
    cap = greetings.weekly_cap().per_shop
    left = await greetings.weekly_cap_left(noodles.id, NOW)
    assert (left.cap, left.left, left.people_at_cap) == (cap, cap, 0)
    for n, user_id in enumerate([1] * cap + [2]):
        await push(noodles.id, user_id, n)
    for row in await outbox.claim_due(NOW, 10, DeliveryPolicy(default_daily_cap=10)):
        await outbox.mark_sent(row.id, 1, NOW)
    left = await greetings.weekly_cap_left(noodles.id, NOW + timedelta(hours=1))
    assert (left.cap, left.left, left.people_at_cap) == (cap, 0, 1)


async def test_a_granted_coupon_skips_the_claim_rules_and_stays_off_the_page(db: None) -> None:
    noodles = await shop()
    gift = await coupons.create_coupon(
        noodles.id, kind=CouponKind.GIFT, value=0, title="Birthday noodles", valid_days=14,
        stock=1, granted=True,
    )
    assert await coupons.page_coupons(noodles.id) == []
    with pytest.raises(coupons.CouponError) as refused:
        await coupons.claim(gift.id, 1, now=NOW)
    assert refused.value.reason == "not_found"
    first = await coupons.grant(gift.id, 1, NOW)
    again = await coupons.grant(gift.id, 1, NOW)  # past the per-person limit and the stock
    other = await coupons.grant(gift.id, 2, NOW)
    assert first and again and other
    assert first.expires_at == NOW + timedelta(days=14)
    assert await CouponClaim.filter(coupon_id=gift.id).count() == 3
    await coupons.end(gift.id, noodles.id)
    assert await coupons.grant(gift.id, 3, NOW) is None


async def customer(shop_id: int, user_id: int, birthday: date | None = None) -> None:
    await record_event(shop_id, user_id, CustomerEvent.PURCHASE, at=NOW - timedelta(days=9))
    if birthday is not None:
        await update_profile(await User.get(id=user_id), birthday=birthday)


async def test_the_daily_birthday_selection(db: None) -> None:
    noodles, laundry, hair = await shop(), await shop("Laundry"), await shop("Hair")
    await greetings.update_settings(laundry.id, birthday_days_before=0)
    await greetings.update_settings(hair.id, audience="followers")
    today = date(2030, 3, 1)
    for user_id, born in ((1, date(1990, 3, 4)), (2, date(1990, 3, 1)), (3, date(1990, 3, 5))):
        await customer(noodles.id, user_id, born)
        await customer(laundry.id, user_id)
    await follows.follow_shop(4, hair.id)  # a follower, not a customer
    await update_profile(await User.get(id=4), birthday=date(2001, 3, 4))
    await follows.follow_shop(5, noodles.id)  # the noodle shop greets customers only
    await update_profile(await User.get(id=5), birthday=date(2001, 3, 4))
    due = sorted(await greetings.birthdays_due(today))
    assert due == sorted([(1, noodles.id), (2, laundry.id), (4, hair.id)])

    await greetings.opt_out(1, noodles.id)
    await follows.mute_shop(2, laundry.id)
    await User.filter(id=4).update(reachable=False)
    assert await greetings.birthdays_due(today) == []
    await greetings.opt_in(1, noodles.id)
    await greetings.opt_out(1, None)
    assert await greetings.birthdays_due(today) == []
    await greetings.update_settings(noodles.id, birthday_on=False)
    await greetings.opt_in(1, None)
    assert await greetings.birthdays_due(today) == []


async def test_settings_refusals_and_the_preview(db: None) -> None:
    noodles, laundry = await shop("Wang & <Sons>"), await shop("Laundry")
    other = await coupons.create_coupon(
        laundry.id, kind=CouponKind.GIFT, value=0, title="Not yours", valid_days=3
    )
    for change, reason in (
        ({"birthday_days_before": 8}, "bad_days"),
        ({"audience": "everyone"}, "bad_audience"),
        ({"birthday_coupon_id": other.id}, "bad_coupon"),
        ({"birthday_text": "x" * 1001}, "bad_text"),
    ):
        with pytest.raises(GreetingError) as refused:
            await greetings.update_settings(noodles.id, **change)
        assert refused.value.reason == reason
    with pytest.raises(GreetingError):
        await greetings.set_holiday(noodles.id, "christmas", enabled=False)

    gift = await coupons.create_coupon(
        noodles.id, kind=CouponKind.GIFT, value=0, title="Mooncake", valid_days=3, granted=True
    )
    await greetings.set_holiday(noodles.id, "mid_autumn", text="Hi {name} <3 {shop}")
    await greetings.set_holiday(noodles.id, "mid_autumn", coupon_id=gift.id)  # text kept
    shown = await greetings.preview(noodles.id, "mid_autumn", "en", "Ann")
    assert shown.text.startswith("Hi Ann &lt;3 Wang &amp; &lt;Sons&gt;\n🎁 ")
    assert shown.coupon_title == "Mooncake"
    await greetings.set_holiday(noodles.id, "mid_autumn", text=None)  # back to the default
    shown = await greetings.preview(noodles.id, "mid_autumn", "zh_Hans")
    assert shown.text.startswith("🥮 朋友，中秋快乐！")
    assert (await Coupon.get(id=gift.id)).granted
    await greetings.update_settings(noodles.id, birthday_coupon_id=gift.id, birthday_text=" ")
    shown = await greetings.preview(noodles.id, "birthday", "en", "Ann")
    assert shown.text.startswith("🎂 Happy birthday, Ann!") and shown.coupon_title == "Mooncake"
    assert (await greetings.settings_of(noodles.id)).birthday_text is None  # blank: default


async def test_the_year_ahead(db: None) -> None:
    noodles = await shop()
    await customer(noodles.id, 1, date(1990, 3, 20))
    await customer(noodles.id, 2, date(1990, 2, 10))
    await customer(noodles.id, 3, date(1990, 2, 28))
    await greetings.set_holiday(noodles.id, "valentine", enabled=False)
    ahead = await greetings.year_ahead(noodles.id, date(2030, 3, 1))
    months = dict(ahead.birthdays_by_month)
    assert months[date(2030, 3, 1)] == 1 and months[date(2031, 2, 1)] == 2
    assert sum(months.values()) == 3 and len(months) == 12
    assert ahead.next_birthdays == 1
    lines = {line.occasion: line for line in ahead.holidays}
    assert not lines["valentine"].enabled and lines["labour_day"].enabled
    assert lines["valentine"].date == date(2031, 2, 14)


async def test_the_days_holidays_leave_out_who_was_greeted_already(db: None) -> None:
    noodles, laundry = await shop(), await shop("Laundry")
    for user_id in (1, 2):
        await customer(noodles.id, user_id)
        await customer(laundry.id, user_id)
    await greetings.set_holiday(laundry.id, "national_day", enabled=False)
    day = date(2030, 10, 1)
    due = await greetings.holidays_due(day)
    assert sorted((d.user_id, d.shop_id, d.occasion) for d in due) == [
        (1, noodles.id, "national_day"),
        (2, noodles.id, "national_day"),
    ]
    await GreetingLog.create(
        user_id=1, shop_id=noodles.id, occasion="national_day", year=2030, created_at=NOW
    )
    assert [(d.user_id, d.year) for d in await greetings.holidays_due(day)] == [(2, 2030)]
    assert await greetings.holidays_due(date(2030, 10, 2)) == []
