"""The owner's /greetings reads (an occasion's choice, the coupons a greeting can give) and the
promotion composer's weekly figure (customers still under the weekly per-shop cap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Coupon, CouponKind, GreetingLog
from bot.services import coupons, follows, greetings
from bot.services.greeting_choices import attachable_coupons, choice_of, offered
from bot.services.weekly_reach import weekly_reach
from tests.e2e.helpers import make_shop

NOW = datetime(2031, 1, 20, 2, 30, tzinfo=UTC)


async def a_coupon(shop_id: int, title: str, **fields: object) -> Coupon:
    values: dict[str, object] = {"kind": CouponKind.PERCENT, "value": 10, "title": title}
    values.update(fields)
    if "valid_until" not in values:
        values["valid_days"] = 30
    return await coupons.create_coupon(shop_id, **values)  # type: ignore[arg-type]


async def test_choices_default_then_as_set(db) -> None:
    shop = await make_shop("Lao Wang Noodles")
    gift = await a_coupon(shop.id, "Gift")
    first = await choice_of(shop.id, "qixi")
    assert (first.enabled, first.text, first.coupon, first.days_before) == (True, None, None, 3)
    await greetings.set_occasion(
        shop.id, "qixi", enabled=False, text="Hi {name}", coupon_id=gift.id
    )
    await greetings.update_settings(shop.id, birthday_days_before=6, birthday_on=False)
    qixi = await choice_of(shop.id, "qixi")
    assert (qixi.enabled, qixi.text, qixi.coupon and qixi.coupon.id) == (
        False,
        "Hi {name}",
        gift.id,
    )
    birthday = await choice_of(shop.id, "birthday")
    assert (birthday.enabled, birthday.text, birthday.days_before) == (False, None, 6)
    assert offered("birthday") and offered("qixi") and not offered("easter")


async def test_attachable_coupons_are_the_shops_live_ones(db) -> None:
    shop = await make_shop("Lao Wang Noodles")
    other = await make_shop("Jade Tea", owner_id=701)
    live = await a_coupon(shop.id, "Live")
    paused = await a_coupon(shop.id, "Paused")
    await coupons.pause(paused.id, shop.id)
    ended = await a_coupon(shop.id, "Ended")
    await coupons.end(ended.id, shop.id)
    await a_coupon(shop.id, "Over", valid_until=NOW - timedelta(days=1))
    await a_coupon(other.id, "Theirs")
    found = [c.title for c in await attachable_coupons(shop.id, NOW)]
    assert sorted(found) == sorted([live.title, paused.title])


async def test_weekly_reach_counts_customers_under_the_cap(db) -> None:
    shop = await make_shop("Lao Wang Noodles")
    coupon = await a_coupon(shop.id, "Welcome")
    for user_id in (1, 2, 3):
        await coupons.claim(coupon.id, user_id, now=NOW)
    await follows.follow_shop(4, shop.id)  # a follower, not a customer: not in the figure
    cap = greetings.weekly_cap().per_shop
    for user_id, had in ((1, cap), (2, cap - 1), (4, cap)):
        for n in range(had):
            await GreetingLog.create(
                user_id=user_id, shop_id=shop.id, occasion="qixi", year=2000 + n, created_at=NOW
            )
    reach = await weekly_reach(shop.id, NOW)
    assert (reach.cap, reach.customers, reach.can_receive) == (cap, 3, 2)
    later = await weekly_reach(shop.id, NOW + timedelta(days=7, seconds=1))
    assert later.can_receive == 3
