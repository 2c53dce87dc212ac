"""The coupon rules without Telegram, on SQLite and PostgreSQL: creating, pausing and ending
coupons, every reason a claim or a redemption is refused, expiry, the wallet, reminders and
results."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.contrib.test import tortoise_test_context

from bot.models import (
    Audience,
    ClaimStatus,
    Coupon,
    CouponClaim,
    CouponKind,
    CouponStatus,
    Shop,
    ShopStatus,
    Staff,
    StaffRole,
)
from bot.services import coupons
from bot.services.codes import display_code, verify_check
from bot.services.coupons import CouponError
from bot.services.purchases import record_purchase
from bot.services.shops import ShopDraft, create_shop
from bot.services.users import ensure_user
from tests.conftest import POSTGRES_URL

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
OWNER, CLERK, OTHER_OWNER, ALICE, BOB = 1, 2, 3, 101, 102


@asynccontextmanager
async def fresh_database(database: str, tmp_path: Path) -> AsyncIterator[None]:
    """An empty schema on a SQLite file or a new PostgreSQL database (dropped afterwards)."""
    if database == "sqlite":
        url = f"sqlite://{tmp_path / 'coupons.sqlite3'}"
    else:  # tortoise_test_context creates the database `{}` names, with a random name
        url = urlsplit(POSTGRES_URL)._replace(path="/coupons_test_{}").geturl()
    # Tortoise caches INSERT/UPDATE SQL per connection name, not per dialect.
    EXECUTOR_CACHE.clear()
    async with tortoise_test_context(["bot.models"], db_url=url) as ctx:
        try:
            yield
        finally:
            if database == "postgres":
                conn = ctx.connections.get("default")
                await conn.close()
                await conn.db_delete()


@pytest.fixture
async def db(database: str, tmp_path: Path) -> AsyncIterator[None]:
    async with fresh_database(database, tmp_path):
        yield


@pytest.fixture
async def shop(db: None) -> Shop:
    """An approved shop run by OWNER with CLERK, a rival shop, and two customers."""
    for user_id, name in ((OWNER, "Wang"), (CLERK, "Zhou"), (OTHER_OWNER, "Chen")):
        await ensure_user(user_id, name, None, "en")
    await ensure_user(ALICE, "Alice", None, "en")
    await ensure_user(BOB, "Bob", None, "zh-hans")
    draft = ShopDraft(name="Lao Wang Noodles", category="dining", lat=31.2, lng=121.5)
    noodles = await create_shop(OWNER, draft, require_approval=False)
    await Staff.create(shop=noodles, user_id=CLERK, role=StaffRole.CLERK)
    rival = ShopDraft(name="Chen Hair", category="beauty", lat=31.2, lng=121.5)
    await create_shop(OTHER_OWNER, rival, require_approval=False)
    return noodles


async def rival_shop() -> Shop:
    return await Shop.get(owner_id=OTHER_OWNER)


#: A valid coupon: ¥10 off, usable for 30 days after claiming.
TEN_OFF: dict[str, Any] = {
    "kind": CouponKind.AMOUNT,
    "value": 1000,
    "title": "¥10 off",
    "valid_days": 30,
}


async def a_coupon(shop: Shop, **changes: Any) -> Coupon:
    return await coupons.create_coupon(shop.id, **(TEN_OFF | changes))


async def refused(reason: str, action: Any) -> CouponError:
    """Await the action, which must fail with this reason; the error, for its details."""
    with pytest.raises(CouponError) as excinfo:
        await action
    assert excinfo.value.reason == reason
    return excinfo.value


# ------------------------------------------------------------------------------ creating


async def test_a_created_coupon_keeps_what_the_merchant_set(shop: Shop) -> None:
    coupon = await a_coupon(
        shop,
        kind=CouponKind.PERCENT,
        value=20,
        title="  20%   off  haircuts ",
        terms=" Weekdays only \n",
        min_spend_cents=5000,
        stock=30,
        per_user_limit=2,
        valid_days=None,
        valid_from=NOW,
        valid_until=NOW + timedelta(days=7),
    )
    loaded = await Coupon.get(id=coupon.id)
    assert (loaded.kind, loaded.value, loaded.title, loaded.terms) == (
        CouponKind.PERCENT,
        20,
        "20% off haircuts",
        "Weekdays only",
    )
    assert (loaded.stock, loaded.per_user_limit, loaded.min_spend_cents) == (30, 2, 5000)
    assert (loaded.valid_from, loaded.valid_until) == (NOW, NOW + timedelta(days=7))
    assert (loaded.status, loaded.claimed_count, loaded.audience) == (
        CouponStatus.ACTIVE,
        0,
        Audience.EVERYONE,
    )
    gift = await a_coupon(shop, kind=CouponKind.GIFT, value=999, title="Free drink")
    assert gift.value == 0


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"kind": CouponKind.PERCENT, "value": 0}, "bad_value"),
        ({"kind": CouponKind.PERCENT, "value": 100}, "bad_value"),
        ({"kind": CouponKind.AMOUNT, "value": 0}, "bad_value"),
        ({"kind": CouponKind.VOUCHER, "value": -500}, "bad_value"),
        ({"title": "   "}, "bad_title"),
        ({"title": "x" * 65}, "bad_title"),
        ({"terms": "y" * 501}, "bad_terms"),
        ({"min_spend_cents": -1}, "bad_min_spend"),
        ({"stock": 0}, "bad_stock"),
        ({"per_user_limit": 0}, "bad_limit"),
        ({"valid_days": None}, "bad_validity"),
        ({"valid_until": NOW + timedelta(days=1)}, "bad_validity"),
        ({"valid_days": 0}, "bad_days"),
        (
            {"valid_days": None, "valid_from": NOW, "valid_until": NOW},
            "bad_range",
        ),
        ({"valid_from": NOW, "flash_ends_at": NOW - timedelta(hours=1)}, "bad_flash"),
        ({"audience": Audience.TIER}, "bad_audience"),
    ],
)
async def test_invalid_coupons_are_refused_with_a_reason(
    changes: dict[str, Any], reason: str
) -> None:
    # No database here: what the merchant typed is checked before anything is asked of it.
    await refused(reason, coupons.create_coupon(1, **(TEN_OFF | changes)))


async def test_a_coupon_needs_a_shop(shop: Shop) -> None:
    await refused(
        "not_found",
        coupons.create_coupon(9999, kind=CouponKind.GIFT, value=0, title="Free tea", valid_days=3),
    )


# ------------------------------------------------------------------------------ lifecycle


async def test_pause_resume_end(shop: Shop) -> None:
    coupon = await a_coupon(shop)
    assert (await coupons.pause(coupon.id, shop.id)).status == CouponStatus.PAUSED
    assert (await coupons.pause(coupon.id, shop.id)).status == CouponStatus.PAUSED  # harmless
    await refused("paused", coupons.claim(coupon.id, ALICE, now=NOW))
    assert (await coupons.resume(coupon.id, shop.id)).status == CouponStatus.ACTIVE
    await coupons.claim(coupon.id, ALICE, now=NOW)
    assert (await coupons.end(coupon.id, shop.id)).status == CouponStatus.ENDED
    await refused("ended", coupons.claim(coupon.id, BOB, now=NOW))
    await refused("ended", coupons.resume(coupon.id, shop.id))  # end is final
    await refused("ended", coupons.pause(coupon.id, shop.id))
    assert (await coupons.end(coupon.id, shop.id)).status == CouponStatus.ENDED


async def test_another_shop_cannot_touch_the_coupon(shop: Shop) -> None:
    coupon = await a_coupon(shop)
    rival = await rival_shop()
    for action in (coupons.pause, coupons.resume, coupons.end):
        await refused("not_found", action(coupon.id, rival.id))
    assert (await Coupon.get(id=coupon.id)).status == CouponStatus.ACTIVE


async def test_list_shows_active_then_paused_then_ended(shop: Shop) -> None:
    first, second, third, fourth = [await a_coupon(shop, title=f"c{n}") for n in range(4)]
    await coupons.end(first.id, shop.id)
    await coupons.pause(second.id, shop.id)
    await a_coupon(await rival_shop(), title="theirs")
    listed = await coupons.list_coupons(shop.id)
    assert [c.title for c in listed] == ["c3", "c2", "c1", "c0"]
    assert [c.id for c in listed] == [fourth.id, third.id, second.id, first.id]


async def test_stats_count_stock_claims_and_redemptions(shop: Shop) -> None:
    coupon = await a_coupon(shop, stock=5)
    first = await coupons.claim(coupon.id, ALICE, now=NOW)
    await coupons.claim(coupon.id, BOB, now=NOW)
    await coupons.redeem(first.id, CLERK, now=NOW)
    assert await coupons.coupon_stats(coupon.id) == coupons.CouponStats(3, 2, 1)
    unlimited = await a_coupon(shop)
    assert (await coupons.coupon_stats(unlimited.id)).stock_left is None
    await refused("not_found", coupons.coupon_stats(9999))


# ------------------------------------------------------------------------------ claiming


async def test_a_claim_holds_a_fresh_checked_code(shop: Shop) -> None:
    coupon = await a_coupon(shop, stock=10)
    held = await coupons.claim(coupon.id, ALICE, now=NOW, promotion_id=7)
    loaded = await CouponClaim.get(id=held.id)
    assert verify_check(loaded.code) and display_code(loaded.code).count("-") == 2
    assert (loaded.user_id, loaded.seq, loaded.status) == (ALICE, 1, ClaimStatus.ACTIVE)
    assert (loaded.claimed_at, loaded.expires_at) == (NOW, NOW + timedelta(days=30))
    assert loaded.promotion_id == 7 and not loaded.reminded
    assert held.coupon.claimed_count == 1 and not coupons.is_exhausted(held.coupon)
    other = await coupons.claim(coupon.id, BOB, now=NOW)
    assert other.code != held.code


async def test_refusals_for_coupons_not_open(shop: Shop) -> None:
    await refused("not_found", coupons.claim(9999, ALICE, now=NOW))
    later = await a_coupon(shop, valid_from=NOW + timedelta(days=1))
    error = await refused("not_started", coupons.claim(later.id, ALICE, now=NOW))
    assert error.details["starts_at"] == NOW + timedelta(days=1)
    assert await coupons.claim(later.id, ALICE, now=NOW + timedelta(days=1))

    fixed = await a_coupon(shop, valid_days=None, valid_until=NOW)
    await refused("expired", coupons.claim(fixed.id, ALICE, now=NOW))
    assert await coupons.claim(fixed.id, ALICE, now=NOW - timedelta(seconds=1))

    flash = await a_coupon(shop, flash_ends_at=NOW + timedelta(hours=2))
    await refused("expired", coupons.claim(flash.id, ALICE, now=NOW + timedelta(hours=2)))
    assert (await Coupon.get(id=flash.id)).claimed_count == 0


async def test_coupons_of_unapproved_shops_cannot_be_claimed(shop: Shop) -> None:
    coupon = await a_coupon(shop)
    await Shop.filter(id=shop.id).update(status=ShopStatus.PENDING)
    await refused("not_found", coupons.claim(coupon.id, ALICE, now=NOW))


async def test_staff_cannot_claim_their_own_shops_coupons(shop: Shop) -> None:
    coupon = await a_coupon(shop)
    await refused("own_shop", coupons.claim(coupon.id, OWNER, now=NOW))
    await refused("own_shop", coupons.claim(coupon.id, CLERK, now=NOW))
    assert await coupons.claim(coupon.id, OTHER_OWNER, now=NOW)  # a rival is a customer here


async def test_sold_out_and_the_last_unit_reported(shop: Shop) -> None:
    flash = await a_coupon(shop, stock=2, flash_ends_at=NOW + timedelta(hours=1))
    first = await coupons.claim(flash.id, ALICE, now=NOW)
    assert not coupons.is_exhausted(first.coupon)
    last = await coupons.claim(flash.id, BOB, now=NOW)
    assert coupons.is_exhausted(last.coupon), "the caller must learn the flash deal sold out"
    await ensure_user(103, "Cai", None, "en")
    await refused("sold_out", coupons.claim(flash.id, 103, now=NOW))
    assert (await Coupon.get(id=flash.id)).claimed_count == 2


async def test_per_person_limit(shop: Shop) -> None:
    coupon = await a_coupon(shop, per_user_limit=2)
    first = await coupons.claim(coupon.id, ALICE, now=NOW)
    second = await coupons.claim(coupon.id, ALICE, now=NOW)
    assert (first.seq, second.seq) == (1, 2) and first.code != second.code
    error = await refused("limit_reached", coupons.claim(coupon.id, ALICE, now=NOW))
    assert error.details == {"limit": 2}
    await coupons.redeem(first.id, CLERK, now=NOW)  # using one does not free a slot
    await refused("limit_reached", coupons.claim(coupon.id, ALICE, now=NOW))
    assert (await Coupon.get(id=coupon.id)).claimed_count == 2


async def test_new_customers_only(shop: Shop) -> None:
    welcome = await a_coupon(shop, audience=Audience.NEW_CUSTOMERS, per_user_limit=2)
    assert await coupons.is_eligible(welcome, ALICE)
    await coupons.claim(welcome.id, ALICE, now=NOW)
    assert await coupons.claim(welcome.id, ALICE, now=NOW)  # its own limit allows a second

    # Bob bought here once: not new.
    await record_purchase(shop.id, BOB, 3000, CLERK, now=NOW)
    await refused("not_eligible", coupons.claim(welcome.id, BOB, now=NOW))

    # Cai holds another coupon of this shop: not new either.
    await ensure_user(103, "Cai", None, "en")
    other = await a_coupon(shop, title="Free drink")
    await coupons.claim(other.id, 103, now=NOW)
    await refused("not_eligible", coupons.claim(welcome.id, 103, now=NOW))

    # Dan's history is at another shop only: still new here.
    await ensure_user(104, "Dan", None, "en")
    await record_purchase((await rival_shop()).id, 104, 100, OTHER_OWNER, now=NOW)
    assert await coupons.claim(welcome.id, 104, now=NOW)


async def test_new_customers_coupon_after_using_it_once(shop: Shop) -> None:
    welcome = await a_coupon(shop, audience=Audience.NEW_CUSTOMERS, per_user_limit=2)
    first = await coupons.claim(welcome.id, ALICE, now=NOW)
    await coupons.redeem(first.id, CLERK, now=NOW)
    await refused("not_eligible", coupons.claim(welcome.id, ALICE, now=NOW))


async def test_card_tier_coupons_are_for_that_tier_and_above(shop: Shop) -> None:
    from bot.models import MemberCard, Tier
    from bot.services import card_programs

    await refused("bad_audience", a_coupon(shop, audience=Audience.TIER, audience_tier=None))
    await refused("bad_audience", a_coupon(shop, audience=Audience.TIER, audience_tier=1))
    await card_programs.save(shop.id, OWNER, card_programs.default_draft(), NOW)
    silver, gold = await Tier.filter(program__shop_id=shop.id).order_by("rank")
    gold_coupon = await a_coupon(shop, audience=Audience.TIER, audience_tier=gold.id)
    silver_coupon = await a_coupon(shop, audience=Audience.TIER, audience_tier=silver.id)
    assert not await coupons.is_eligible(gold_coupon, ALICE)  # not a member
    error = await refused("tier_needed", coupons.claim(gold_coupon.id, ALICE, now=NOW))
    assert error.details == {"tier": "Gold"}
    card = await MemberCard.create(
        shop=shop,
        user_id=ALICE,
        number="880000000101",
        tier=silver,
        joined_at=NOW,
        qualified_since=NOW,
    )
    assert await coupons.is_eligible(silver_coupon, ALICE)
    await refused("tier_needed", coupons.claim(gold_coupon.id, ALICE, now=NOW))
    await MemberCard.filter(id=card.id).update(tier_id=gold.id)  # upgraded
    assert await coupons.is_eligible(silver_coupon, ALICE)  # a lower tier's coupon too
    assert (await coupons.claim(gold_coupon.id, ALICE, now=NOW)).user_id == ALICE  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ expiry


async def test_expiry_is_the_earliest_end(shop: Shop) -> None:
    days = await a_coupon(shop, valid_days=7)
    fixed = await a_coupon(shop, valid_days=None, valid_until=NOW + timedelta(days=3))
    fixed_short = await a_coupon(
        shop,
        valid_days=None,
        valid_until=NOW + timedelta(days=3),
        flash_ends_at=NOW + timedelta(hours=5),
    )
    days_flash = await a_coupon(shop, valid_days=1, flash_ends_at=NOW + timedelta(days=2))
    expected = {
        days.id: NOW + timedelta(days=7),
        fixed.id: NOW + timedelta(days=3),
        fixed_short.id: NOW + timedelta(hours=5),
        days_flash.id: NOW + timedelta(days=1),
    }
    for coupon_id, expires_at in expected.items():
        held = await coupons.claim(coupon_id, ALICE, now=NOW)
        assert (await CouponClaim.get(id=held.id)).expires_at == expires_at
    # N days count from the claim, not from the coupon's creation.
    later = await coupons.claim(days.id, BOB, now=NOW + timedelta(days=2))
    assert later.expires_at == NOW + timedelta(days=9)


# ------------------------------------------------------------------------------ redeeming


async def test_preview_then_redeem_once(shop: Shop) -> None:
    coupon = await a_coupon(shop, terms="Dine-in only", min_spend_cents=5000)
    held = await coupons.claim(coupon.id, ALICE, now=NOW)
    typed = display_code(held.code).lower().replace("-", " ")
    preview = await coupons.find_claim_for_redeem(typed, CLERK, now=NOW)
    assert preview == coupons.RedeemPreview(
        claim_id=held.id,
        code=held.code,
        shop_id=shop.id,
        shop_name="Lao Wang Noodles",
        title="¥10 off",
        kind=CouponKind.AMOUNT,
        value=1000,
        terms="Dine-in only",
        min_spend_cents=5000,
        customer_first_name="Alice",
        claimed_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    at = NOW + timedelta(hours=3)
    used = await coupons.redeem(held.id, CLERK, now=at)
    assert (used.status, used.redeemed_at, used.redeemed_by_id) == (ClaimStatus.REDEEMED, at, CLERK)
    assert (await Coupon.get(id=coupon.id)).redeemed_count == 1

    error = await refused("already_redeemed", coupons.redeem(held.id, OWNER, now=at))
    assert error.details == {"redeemed_at": at, "shop_name": "Lao Wang Noodles"}
    error = await refused(
        "already_redeemed", coupons.find_claim_for_redeem(held.code, OWNER, now=at)
    )
    assert error.details == {"redeemed_at": at, "shop_name": "Lao Wang Noodles"}
    assert (await Coupon.get(id=coupon.id)).redeemed_count == 1


async def test_redeem_refusals(shop: Shop) -> None:
    coupon = await a_coupon(shop, valid_days=2)
    held = await coupons.claim(coupon.id, ALICE, now=NOW)
    code = display_code(held.code)
    typo = code[:-1] + ("1" if code[-1] != "1" else "2")
    await refused("malformed", coupons.find_claim_for_redeem("hello", CLERK, now=NOW))
    await refused("bad_check", coupons.find_claim_for_redeem(typo, CLERK, now=NOW))
    await refused("not_staff", coupons.find_claim_for_redeem(code, BOB, now=NOW))
    await refused("not_staff", coupons.redeem(held.id, BOB, now=NOW))
    await refused(
        "unknown", coupons.find_claim_for_redeem(_another_valid_code(held.code), CLERK, now=NOW)
    )
    await refused("unknown", coupons.redeem(9999, CLERK, now=NOW))

    # Another shop's code is refused exactly like one that does not exist: nothing leaks.
    error = await refused("unknown", coupons.find_claim_for_redeem(code, OTHER_OWNER, now=NOW))
    assert error.details == {}, "nothing about another shop's coupon may leak"
    await refused("unknown", coupons.redeem(held.id, OTHER_OWNER, now=NOW))

    await coupons.pause(coupon.id, shop.id)
    await refused("paused", coupons.find_claim_for_redeem(code, CLERK, now=NOW))
    await refused("paused", coupons.redeem(held.id, CLERK, now=NOW))
    await coupons.resume(coupon.id, shop.id)

    late = NOW + timedelta(days=2)
    error = await refused("expired", coupons.find_claim_for_redeem(code, CLERK, now=late))
    assert error.details == {"expired_at": late}
    await refused("expired", coupons.redeem(held.id, CLERK, now=late))
    loaded = await CouponClaim.get(id=held.id)
    assert loaded.status == ClaimStatus.ACTIVE and loaded.redeemed_at is None
    assert (await Coupon.get(id=coupon.id)).redeemed_count == 0


def _another_valid_code(code: str) -> str:
    """A well-formed code with a correct check symbol that nobody holds."""
    from bot.services.codes import generate_code, normalize_code

    while (other := normalize_code(generate_code())) == code:
        pass
    return other


async def test_claims_of_an_ended_coupon_can_still_be_used(shop: Shop) -> None:
    coupon = await a_coupon(shop, stock=1, flash_ends_at=NOW + timedelta(hours=1))
    held = await coupons.claim(coupon.id, ALICE, now=NOW)
    await coupons.end(coupon.id, shop.id)  # the flash deal sold out
    assert (await coupons.redeem(held.id, OWNER, now=NOW)).status == ClaimStatus.REDEEMED


# ------------------------------------------------------------------------------ wallet


async def test_wallet_groups_active_used_and_expired(shop: Shop) -> None:
    week = await a_coupon(shop, title="week", valid_days=7, per_user_limit=3)
    day = await a_coupon(shop, title="day", valid_days=1)
    theirs = await a_coupon(await rival_shop(), title="haircut", valid_days=3)
    used = await coupons.claim(week.id, ALICE, now=NOW)
    await coupons.redeem(used.id, CLERK, now=NOW + timedelta(hours=1))
    soon = await coupons.claim(day.id, ALICE, now=NOW)
    later = await coupons.claim(week.id, ALICE, now=NOW)
    haircut = await coupons.claim(theirs.id, ALICE, now=NOW - timedelta(days=5))  # lapsed
    await coupons.claim(week.id, BOB, now=NOW)  # someone else's

    mine = await coupons.wallet(ALICE, now=NOW + timedelta(hours=2))
    assert [i.claim.id for i in mine["active"]] == [soon.id, later.id]
    assert [i.claim.id for i in mine["used"]] == [used.id]
    assert [i.claim.id for i in mine["expired"]] == [haircut.id]
    first = mine["active"][0]
    assert (first.coupon.title, first.shop_name, first.expires_at) == (
        "day",
        "Lao Wang Noodles",
        NOW + timedelta(days=1),
    )
    assert mine["expired"][0].shop_name == "Chen Hair"

    two_days_on = await coupons.wallet(ALICE, now=NOW + timedelta(days=2))
    assert [i.claim.id for i in two_days_on["active"]] == [later.id]
    assert [i.claim.id for i in two_days_on["expired"]] == [soon.id, haircut.id]
    assert await coupons.wallet(9999, now=NOW) == {"active": [], "used": [], "expired": []}


async def test_a_claim_is_shown_to_its_holder_only(shop: Shop) -> None:
    held = await coupons.claim((await a_coupon(shop)).id, ALICE, now=NOW)
    item = await coupons.claim_by_id_for_user(held.id, ALICE)
    assert (item.claim.code, item.coupon.title, item.shop_name) == (
        held.code,
        "¥10 off",
        "Lao Wang Noodles",
    )
    await refused("not_found", coupons.claim_by_id_for_user(held.id, BOB))
    await refused("not_found", coupons.claim_by_id_for_user(9999, ALICE))


# ------------------------------------------------------------------------------ reminders


async def test_expiry_reminders_once_per_unused_claim(shop: Shop) -> None:
    coupon = await a_coupon(shop, valid_days=3, per_user_limit=5)
    early = await coupons.claim(coupon.id, ALICE, now=NOW)
    used = await coupons.claim(coupon.id, ALICE, now=NOW)
    await coupons.redeem(used.id, CLERK, now=NOW)
    later = await coupons.claim(coupon.id, BOB, now=NOW + timedelta(days=1))
    # The window is given in Shanghai time: the same instants as UTC.
    start = (NOW + timedelta(days=2)).astimezone(SHANGHAI)
    end = (NOW + timedelta(days=5)).astimezone(SHANGHAI)
    due = await coupons.claims_expiring_between(start, end)
    assert [i.claim.id for i in due] == [early.id, later.id]
    assert (due[0].claim.user_id, due[0].coupon.title, due[0].shop_name) == (
        ALICE,
        "¥10 off",
        "Lao Wang Noodles",
    )
    assert await coupons.claims_expiring_between(start, NOW + timedelta(days=3)) == []
    assert await coupons.mark_reminded([early.id]) == 1
    assert await coupons.mark_reminded([early.id, later.id]) == 1
    assert await coupons.mark_reminded([]) == 0
    assert await coupons.claims_expiring_between(start, end) == []


# ------------------------------------------------------------------------------ results


async def test_daily_counts_by_the_shops_local_day(shop: Shop) -> None:
    coupon = await a_coupon(shop, per_user_limit=10)
    # 2025-03-01 10:00 UTC is 18:00 in Shanghai; 17:00 UTC is already the 2nd there.
    first = await coupons.claim(coupon.id, ALICE, now=NOW)
    await coupons.claim(coupon.id, ALICE, now=NOW + timedelta(hours=7))
    await coupons.claim(coupon.id, BOB, now=NOW + timedelta(hours=8))
    await coupons.redeem(first.id, CLERK, now=NOW + timedelta(hours=9))
    await coupons.claim(coupon.id, BOB, now=NOW - timedelta(days=5))  # before the window
    today = NOW + timedelta(days=1, hours=11)  # 2025-03-03 05:00 in Shanghai
    counts = await coupons.daily_counts(coupon.id, 3, "Asia/Shanghai", now=today)
    assert counts == [
        (date(2025, 3, 1), 1, 0),
        (date(2025, 3, 2), 2, 1),
        (date(2025, 3, 3), 0, 0),
    ]
    in_utc = await coupons.daily_counts(coupon.id, 2, UTC, now=today)
    assert in_utc == [(date(2025, 3, 1), 3, 1), (date(2025, 3, 2), 0, 0)]
