"""Promotions without Telegram, on SQLite and PostgreSQL: who each audience reaches (the radius
rule included), launching through the outbox, the flash-deal lifecycle and the results funnel."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import start_db, stop_db
from bot.models import (
    ClaimStatus,
    Coupon,
    CouponClaim,
    CouponKind,
    CouponStatus,
    Outbox,
    OutboxStatus,
    PromotionAudience,
    PromotionStatus,
    Shop,
    Staff,
    StaffRole,
    User,
)
from bot.services import coupons, follows, outbox, promotions
from bot.services.promotions import PromotionError
from bot.services.purchases import record_purchase
from bot.services.shops import ShopDraft, create_shop
from bot.services.staff import NotAllowed
from bot.services.users import ensure_user

NOW = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai
LAT, LNG = 31.2304, 121.4737
OWNER, CLERK = 1, 2
CATEGORIES = ("dining", "laundry")
FOLLOWERS, CATEGORY, CUSTOMERS = PromotionAudience
PAYLOAD = {"text": "Half price today"}


def north(metres: float) -> float:
    """The latitude `metres` north of the test point (on the bot's sphere)."""
    return LAT + math.degrees(metres / 6371008.8)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[None]:
    await start_db(db_url)
    try:
        await ensure_user(OWNER, "Wang", None, "en")
        await ensure_user(CLERK, "Zhou", None, "en")
        await User.bulk_create([User(id=i, first_name=f"user{i}") for i in range(100, 120)])
        yield
    finally:
        await stop_db()


@pytest.fixture
async def shop(db: None) -> Shop:
    """An approved noodle shop at the test point, run by OWNER with CLERK."""
    draft = ShopDraft(name="Lao Wang Noodles", category="dining", lat=LAT, lng=LNG)
    noodles = await create_shop(OWNER, draft, require_approval=False)
    await Staff.create(shop=noodles, user_id=CLERK, role=StaffRole.CLERK)
    return noodles


async def a_coupon(shop: Shop, **changes) -> Coupon:
    fields = {"kind": CouponKind.AMOUNT, "value": 1000, "title": "¥10 off", "valid_days": 30}
    return await coupons.create_coupon(shop.id, **(fields | changes))


async def follow_near(user_id: int, metres_north: float, radius_m: int, category: str = "dining"):
    return await follows.follow_category(
        user_id, category, north(metres_north), LNG, radius_m, categories=CATEGORIES
    )


# ---------------------------------------------------------------------------- audiences


async def test_followers_without_the_muted_the_unreachable_and_staff(shop: Shop) -> None:
    for user_id in (100, 101, 102, 103):
        await follows.follow_shop(user_id, shop.id)
    await follows.mute_shop(101, shop.id)
    await User.filter(id=102).update(reachable=False)
    await Staff.create(shop=shop, user_id=103, role=StaffRole.CLERK)  # hired after following
    assert await promotions.audience_ids(shop, FOLLOWERS) == [100]


async def test_category_followers_are_reached_only_within_their_own_radius(shop: Shop) -> None:
    await follow_near(100, 0, 1000)  # right at the shop
    await follow_near(101, 1990, 2000)  # just inside 2 km
    await follow_near(102, 2010, 2000)  # just outside 2 km
    await follow_near(103, 3000, 5000)  # 3 km away, but follows within 5 km
    await follow_near(104, 4990, 5000)  # just inside the widest radius
    await follow_near(105, 5010, 5000)  # just outside it
    await follow_near(106, 0, 2000, category="laundry")  # another kind of shop
    await follow_near(107, 0, 2000)
    await follows.mute_category(107, "dining")
    await follow_near(108, 0, 2000)
    await follows.mute_shop(108, shop.id)  # follows dining nearby, but not this shop
    await follow_near(109, 0, 2000)
    await User.filter(id=109).update(reachable=False)
    assert await promotions.audience_ids(shop, CATEGORY) == [100, 101, 103, 104]


async def test_category_followers_east_and_west_use_the_same_rule(shop: Shop) -> None:
    """Longitude degrees are shorter than latitude ones: the box must not cut them off."""
    east = LNG + math.degrees(1900 / (6371008.8 * math.cos(math.radians(LAT))))
    west = LNG - math.degrees(2100 / (6371008.8 * math.cos(math.radians(LAT))))
    await follows.follow_category(100, "dining", LAT, east, 2000, categories=CATEGORIES)
    await follows.follow_category(101, "dining", LAT, west, 2000, categories=CATEGORIES)
    assert await promotions.audience_ids(shop, CATEGORY) == [100]


async def test_customers_claimed_or_bought_once_each(shop: Shop) -> None:
    coupon = await a_coupon(shop, per_user_limit=3)
    for user_id in (100, 101, 101, 104):
        await coupons.claim(coupon.id, user_id, now=NOW)
    for user_id in (101, 102, 103):
        await record_purchase(shop.id, user_id, 2800, CLERK, now=NOW)
    await follows.mute_shop(103, shop.id)  # "no more offers from this shop"
    await User.filter(id=104).update(reachable=False)
    other = await create_shop(
        OWNER,
        ShopDraft(name="Wang Laundry", category="laundry", lat=LAT, lng=LNG),
        require_approval=False,
    )
    await record_purchase(other.id, 105, 900, OWNER, now=NOW)
    assert await promotions.audience_ids(shop, CUSTOMERS) == [100, 101, 102]
    sizes = await promotions.audience_sizes(shop)
    assert sizes == {FOLLOWERS: 0, CATEGORY: 0, CUSTOMERS: 3}


# ---------------------------------------------------------------------------- launching


async def test_launch_queues_the_audience_once_and_counts_the_reach(shop: Shop) -> None:
    for user_id in (100, 101, 102):
        await follows.follow_shop(user_id, shop.id)
    coupon = await a_coupon(shop)
    promotion = await promotions.create_promotion(
        shop, OWNER, text="  Half price\n noodles  ", photo_file_id=None, coupon_id=coupon.id,
        audience=FOLLOWERS, chat_id=OWNER, now=NOW,
    )  # fmt: skip
    assert promotion.text == "Half price\n noodles" and promotion.status == PromotionStatus.DRAFT
    assert await promotions.launch(promotion, PAYLOAD, now=NOW) == 3
    assert await promotions.launch(promotion, PAYLOAD, now=NOW) == 3  # nobody twice
    rows = await Outbox.filter(campaign=f"promo:{promotion.id}").values_list("user_id", "kind")
    assert sorted(rows) == [(100, "promo"), (101, "promo"), (102, "promo")]
    await promotion.refresh_from_db()
    assert (promotion.status, promotion.reached) == (PromotionStatus.SENDING, 3)
    assert await promotions.mark_sent(promotion.id)
    assert not await promotions.mark_sent(promotion.id)


async def test_refusals_before_anything_is_sent(shop: Shop) -> None:
    async def refused(reason: str, action) -> None:
        with pytest.raises(PromotionError) as excinfo:
            await action
        assert excinfo.value.reason == reason

    for stranger_or_clerk, reason in ((100, "not_staff"), (CLERK, "not_permitted")):
        with pytest.raises(NotAllowed) as denied:
            await promotions.sendable_shop(stranger_or_clerk, shop.id)
        assert denied.value.reason == reason
    pending = await create_shop(
        OWNER, ShopDraft(name="Soon", category="dining", lat=LAT, lng=LNG), require_approval=True
    )
    await refused("not_approved", promotions.sendable_shop(OWNER, pending.id))
    assert (await promotions.sendable_shop(OWNER, shop.id)).id == shop.id
    common = {"photo_file_id": None, "audience": FOLLOWERS, "chat_id": None, "now": NOW}
    await refused(
        "text_empty",
        promotions.create_promotion(shop, OWNER, text=" \n ", coupon_id=None, **common),
    )
    await refused(
        "text_too_long",
        promotions.create_promotion(
            shop, OWNER, text="x" * (promotions.TEXT_MAX + 1), coupon_id=None, **common
        ),
    )
    ended = await a_coupon(shop)
    await coupons.end(ended.id, shop.id)
    await refused(
        "coupon_unavailable",
        promotions.create_promotion(shop, OWNER, text="Hi", coupon_id=ended.id, **common),
    )
    promotion = await promotions.create_promotion(shop, OWNER, text="Hi", coupon_id=None, **common)
    await refused("nobody", promotions.launch(promotion, PAYLOAD, now=NOW))
    flash = {"template_id": ended.id, "text": "Hi", **common}
    await refused("bad_stock", promotions.create_flash(shop, OWNER, stock=0, minutes=60, **flash))
    await refused("bad_minutes", promotions.create_flash(shop, OWNER, stock=5, minutes=5, **flash))
    await refused(
        "coupon_unavailable", promotions.create_flash(shop, OWNER, stock=5, minutes=60, **flash)
    )


# ---------------------------------------------------------------------------- flash deals


async def test_a_flash_deal_copies_its_offer_and_ends_once(shop: Shop) -> None:
    template = await a_coupon(
        shop, kind=CouponKind.PERCENT, value=50, title="Half price", terms="Dine in"
    )
    for user_id in (100, 101):
        await follows.follow_shop(user_id, shop.id)
    promotion = await promotions.create_flash(
        shop, OWNER, template_id=template.id, stock=2, minutes=90, text="Now!",
        photo_file_id="photo-1", audience=FOLLOWERS, chat_id=OWNER, now=NOW,
    )  # fmt: skip
    deal = await Coupon.get(id=promotion.coupon_id)
    ends = NOW + timedelta(minutes=90)
    assert (deal.kind, deal.value, deal.title, deal.terms) == (
        CouponKind.PERCENT,
        50,
        "Half price",
        "Dine in",
    )
    assert (deal.stock, deal.per_user_limit, deal.flash_ends_at, deal.valid_until) == (
        2,
        1,
        ends,
        ends,
    )
    assert promotion.is_flash and promotion.ends_at == ends
    assert [c.id for c in await promotions.flash_templates(shop.id)] == [template.id]
    assert [c.id for c in await promotions.attachable_coupons(shop.id, now=NOW)] == [template.id]

    await promotions.launch(promotion, PAYLOAD, now=NOW)
    rows = await Outbox.filter(campaign=f"promo:{promotion.id}")
    assert {(r.kind, r.expires_at) for r in rows} == {("flash", ends)}
    assert [p.id for p in await promotions.running_flash_deals()] == [promotion.id]
    assert await promotions.due_flash_deal(promotion.id, NOW) is None

    await coupons.claim(deal.id, 100, now=NOW)
    assert await promotions.sold_out_flash_deals(deal.id) == []
    await coupons.claim(deal.id, 101, now=NOW)
    assert [p.id for p in await promotions.sold_out_flash_deals(deal.id)] == [promotion.id]
    due = await promotions.due_flash_deal(promotion.id, NOW)
    assert due is not None and due[1] == "sold_out"

    ended = await promotions.end_flash(promotion.id)
    assert ended is not None and ended.shop.name == "Lao Wang Noodles"
    assert await promotions.end_flash(promotion.id) is None  # exactly once
    assert (await Coupon.get(id=deal.id)).status == CouponStatus.ENDED
    assert await promotions.running_flash_deals() == []
    assert await promotions.due_flash_deal(promotion.id, ends) is None


async def test_time_ends_a_flash_deal_and_drops_whom_it_has_not_reached(shop: Shop) -> None:
    template = await a_coupon(shop)
    for user_id in (100, 101):
        await follows.follow_shop(user_id, shop.id)
    promotion = await promotions.create_flash(
        shop, OWNER, template_id=template.id, stock=10, minutes=30, text="Quick!",
        photo_file_id=None, audience=FOLLOWERS, chat_id=OWNER, now=NOW,
    )  # fmt: skip
    await promotions.launch(promotion, PAYLOAD, now=NOW)
    [sent] = await outbox.claim_due(NOW, 1)
    await outbox.mark_sent(sent.id, 77, NOW)
    later = NOW + timedelta(minutes=30)
    due = await promotions.due_flash_deal(promotion.id, later)
    assert due is not None and due[1] == "time"
    assert await promotions.end_flash(promotion.id) is not None
    rows = dict(
        await Outbox.filter(campaign=f"promo:{promotion.id}").values_list("user_id", "status")
    )
    assert sorted(rows.values()) == [OutboxStatus.SENT, OutboxStatus.SKIPPED]
    progress = await outbox.campaign_progress(f"promo:{promotion.id}")
    assert progress.done and progress.skipped == 1


# ------------------------------------------------------------------------------ results


async def test_results_follow_each_message_from_push_to_counter(shop: Shop) -> None:
    coupon = await a_coupon(shop, stock=10, per_user_limit=1)
    for user_id in (100, 101, 102, 103):
        await follows.follow_shop(user_id, shop.id)
    promotion = await promotions.create_promotion(
        shop, OWNER, text="Try our new noodles", photo_file_id=None, coupon_id=coupon.id,
        audience=FOLLOWERS, chat_id=OWNER, now=NOW,
    )  # fmt: skip
    await promotions.launch(promotion, PAYLOAD, now=NOW)
    rows = {r.user_id: r for r in await Outbox.filter(campaign=f"promo:{promotion.id}")}
    for user_id in (100, 101, 102):
        await outbox.mark_sent(rows[user_id].id, user_id, NOW)
    await outbox.mark_blocked(rows[103].id)
    for user_id in (100, 101):
        await coupons.claim(coupon.id, user_id, now=NOW, promotion_id=promotion.id)
    await coupons.claim(coupon.id, 110, now=NOW)  # from the shop page, not the message
    claim = await CouponClaim.get(user_id=100)
    await coupons.redeem(claim.id, OWNER, now=NOW)

    [result] = await promotions.promotion_results(shop.id)
    funnel = result.funnel
    assert (funnel.reached, funnel.delivered, funnel.blocked) == (4, 3, 1)
    assert (funnel.claimed, funnel.redeemed) == (2, 1)
    assert (funnel.claim_rate, funnel.redeem_rate) == (2 / 3, 1 / 2)

    [by_coupon] = await promotions.coupon_results(shop.id)
    funnel = by_coupon.funnel
    assert (funnel.reached, funnel.delivered, funnel.blocked) == (4, 3, 1)
    assert (funnel.claimed, funnel.from_messages, funnel.redeemed) == (3, 2, 1)
    assert (funnel.claim_rate, funnel.redeem_rate) == (2 / 3, 1 / 3)
    assert await CouponClaim.filter(status=ClaimStatus.REDEEMED).count() == 1
    assert (await promotions.coupon_for_results(OWNER, coupon.id)).shop.id == shop.id
    assert await promotions.coupon_for_results(OWNER, coupon.id + 100) is None
    for clerk_or_stranger in (CLERK, 100):
        with pytest.raises(NotAllowed):
            await promotions.coupon_for_results(clerk_or_stranger, coupon.id)


async def test_results_of_nothing_yet(shop: Shop) -> None:
    draft = await promotions.create_promotion(
        shop, OWNER, text="never sent", photo_file_id=None, coupon_id=None,
        audience=FOLLOWERS, chat_id=None, now=NOW,
    )  # fmt: skip
    assert draft.status == PromotionStatus.DRAFT
    assert await promotions.promotion_results(shop.id) == []  # drafts are not results
    coupon = await a_coupon(shop)
    [result] = await promotions.coupon_results(shop.id)
    assert result.coupon.id == coupon.id
    assert (result.funnel.claim_rate, result.funnel.redeem_rate) == (None, None)
