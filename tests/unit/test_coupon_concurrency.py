"""Stock, per-person limits, single use and the first-time rule hold under concurrent requests,
on SQLite and PostgreSQL: everything is fired at once with asyncio.gather and the database is
checked after.

On PostgreSQL the requests run on a pool of connections, so they truly overlap. Tortoise's
SQLite client runs one transaction at a time on its single connection; the last two tests add a
second connection to the same file (as a second process would be) to show the conditional
updates still hold when SQLite itself has to arbitrate."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tortoise.context import TortoiseContext

from bot.models import Audience, ClaimStatus, Coupon, CouponClaim, Customer, Shop, User
from bot.services import coupons
from bot.services.coupons import CouponError
from bot.services.shops import ShopDraft, create_shop
from bot.services.users import ensure_user
from tests.unit.test_coupons import TEN_OFF, fresh_database

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
OWNER = 1
FIRST_CUSTOMER = 1000
MODELS = {"models": ["bot.models"]}


@pytest.fixture
async def shop(database: str, tmp_path: Path) -> AsyncIterator[Shop]:
    async with fresh_database(database, tmp_path):
        await ensure_user(OWNER, "Wang", None, "en")
        draft = ShopDraft(name="Lao Wang Noodles", category="dining", lat=31.2, lng=121.5)
        yield await create_shop(OWNER, draft, require_approval=False)


async def customers(count: int) -> list[int]:
    ids = list(range(FIRST_CUSTOMER, FIRST_CUSTOMER + count))
    await User.bulk_create([User(id=i, first_name=f"c{i}") for i in ids])
    return ids


async def a_coupon(shop: Shop, **changes: Any) -> Coupon:
    return await coupons.create_coupon(shop.id, **(TEN_OFF | changes))


async def all_at_once(actions: list[Awaitable[Any]]) -> tuple[list[Any], Counter[str]]:
    """Run the actions concurrently: what succeeded, and how many refusals of each reason.
    Anything but a CouponError fails the test."""
    results = await asyncio.gather(*actions, return_exceptions=True)
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, CouponError)
    ]
    assert not unexpected, unexpected
    refusals = Counter(r.reason for r in results if isinstance(r, CouponError))
    return [r for r in results if not isinstance(r, CouponError)], refusals


async def test_200_customers_race_for_50_units(shop: Shop) -> None:
    coupon = await a_coupon(shop, stock=50, flash_ends_at=datetime(2025, 3, 1, 12, tzinfo=UTC))
    people = await customers(200)
    won, refusals = await all_at_once([coupons.claim(coupon.id, p, now=NOW) for p in people])
    assert len(won) == 50 and refusals == {"sold_out": 150}
    loaded = await Coupon.get(id=coupon.id)
    assert loaded.claimed_count == 50 == await CouponClaim.filter(coupon_id=coupon.id).count()
    assert len({c.user_id for c in won}) == 50 and len({c.code for c in won}) == 50
    # Exactly one claim took the last unit, and it says so: the flash deal ends once.
    assert sum(coupons.is_exhausted(c.coupon) for c in won) == 1
    # Only the winners became customers: a refused claim rolled its record back too.
    records = await Customer.filter(shop_id=shop.id).values_list("user_id", "claimed_at")
    assert sorted(records) == sorted((c.user_id, NOW) for c in won)


async def test_nobody_gets_past_the_per_person_limit(shop: Shop) -> None:
    coupon = await a_coupon(shop, per_user_limit=2, stock=1000)
    people = await customers(20)
    attempts = [coupons.claim(coupon.id, p, now=NOW) for _ in range(5) for p in people]
    won, refusals = await all_at_once(attempts)
    assert len(won) == 40 and refusals == {"limit_reached": 60}
    held = Counter(await CouponClaim.filter(coupon_id=coupon.id).values_list("user_id", flat=True))
    assert held == dict.fromkeys(people, 2)
    assert (await Coupon.get(id=coupon.id)).claimed_count == 40  # refused claims gave stock back
    seqs = await CouponClaim.filter(coupon_id=coupon.id).values_list("user_id", "seq")
    assert sorted(seqs) == sorted((p, s) for p in people for s in (1, 2))


async def test_limit_and_stock_together(shop: Shop) -> None:
    coupon = await a_coupon(shop, per_user_limit=3, stock=25)
    people = await customers(30)
    won, refusals = await all_at_once(
        [coupons.claim(coupon.id, p, now=NOW) for _ in range(4) for p in people]
    )
    assert len(won) == 25 and sum(refusals.values()) == 95
    assert set(refusals) <= {"sold_out", "limit_reached"}
    held = Counter(await CouponClaim.filter(coupon_id=coupon.id).values_list("user_id", flat=True))
    assert max(held.values()) <= 3 and sum(held.values()) == 25
    assert (await Coupon.get(id=coupon.id)).claimed_count == 25


async def test_one_code_redeemed_by_50_taps_counts_once(shop: Shop) -> None:
    coupon = await a_coupon(shop)
    (customer,) = await customers(1)
    held = await coupons.claim(coupon.id, customer, now=NOW)
    won, refusals = await all_at_once([coupons.redeem(held.id, OWNER, now=NOW) for _ in range(50)])
    assert len(won) == 1 and refusals == {"already_redeemed": 49}
    assert won[0].status == ClaimStatus.REDEEMED
    assert (await Coupon.get(id=coupon.id)).redeemed_count == 1
    loaded = await CouponClaim.get(id=held.id)
    assert (loaded.status, loaded.redeemed_at, loaded.redeemed_by_id) == (
        ClaimStatus.REDEEMED,
        NOW,
        OWNER,
    )
    record = await Customer.get(shop_id=shop.id, user_id=customer)
    assert (record.visits, record.redeemed_at) == (1, NOW)  # one redemption, one visit


async def welcome_coupons(shop: Shop, per_user_limit: int = 1) -> tuple[Coupon, Coupon]:
    """Two first-time-customer coupons of the shop."""
    first_time = {"audience": Audience.NEW_CUSTOMERS, "per_user_limit": per_user_limit}
    return (
        await a_coupon(shop, title="Welcome: 10 off", **first_time),
        await a_coupon(shop, title="Welcome: free drink", **first_time),
    )


async def test_one_newcomer_racing_for_two_first_time_coupons_gets_one(shop: Shop) -> None:
    """The first-time rule is checked again inside the claim transaction, by the conditional
    update of the customer record: 60 taps at once across two welcome coupons, one claim."""
    welcome = await welcome_coupons(shop)
    (newcomer,) = await customers(1)
    attempts = [coupons.claim(c.id, newcomer, now=NOW) for _ in range(30) for c in welcome]
    won, refusals = await all_at_once(attempts)
    assert len(won) == 1 and sum(refusals.values()) == 59
    assert set(refusals) <= {"not_eligible", "limit_reached"}
    assert await CouponClaim.all().count() == 1
    counts = await Coupon.filter(id__in=[c.id for c in welcome]).values_list(
        "claimed_count", flat=True
    )
    assert sorted(counts) == [0, 1]  # the loser's stock came back
    record = await Customer.get(shop_id=shop.id, user_id=newcomer)
    assert record.sole_coupon_id == won[0].coupon_id and record.claimed_at == NOW


async def test_many_newcomers_each_get_one_welcome_coupon_up_to_its_limit(shop: Shop) -> None:
    """With a per-person limit of 2, every newcomer ends with two claims of the same welcome
    coupon and none of the other: repeat claims of one's own welcome coupon stay allowed."""
    welcome = await welcome_coupons(shop, per_user_limit=2)
    people = await customers(12)
    attempts = [coupons.claim(c.id, p, now=NOW) for _ in range(6) for c in welcome for p in people]
    won, refusals = await all_at_once(attempts)
    assert len(won) == 24 and set(refusals) <= {"not_eligible", "limit_reached"}
    held = await CouponClaim.all().values_list("user_id", "coupon_id")
    assert sorted(Counter(held).values()) == [2] * 12  # two of one coupon each
    assert sorted({user for user, _ in held}) == people
    records = dict(await Customer.filter(shop_id=shop.id).values_list("user_id", "sole_coupon_id"))
    assert records == dict(held)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_sqlite_holds_with_two_connections(shop: Shop, tmp_path: Path) -> None:
    """Two connections to one SQLite file (a second process, say) take turns through
    SQLite's own write lock: each transaction writes first, so a waiting writer queues (busy
    timeout) instead of failing, and the conditional update still sells the stock once."""
    coupon = await a_coupon(shop, stock=30, per_user_limit=2)
    people = await customers(40)
    second = TortoiseContext()
    await second.init(db_url=f"sqlite://{tmp_path / 'coupons.sqlite3'}", modules=MODELS)
    try:
        actions = []
        for n, person in enumerate(people * 2):
            with second if n % 2 else nullcontext():  # tasks keep the context they start in
                actions.append(asyncio.ensure_future(coupons.claim(coupon.id, person, now=NOW)))
        won, refusals = await all_at_once(actions)
    finally:
        await second.close_connections()
    assert len(won) == 30 and set(refusals) <= {"sold_out", "limit_reached"}
    assert (await Coupon.get(id=coupon.id)).claimed_count == 30
    held = Counter(await CouponClaim.filter(coupon_id=coupon.id).values_list("user_id", flat=True))
    assert sum(held.values()) == 30 and max(held.values()) <= 2


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_sqlite_first_time_rule_holds_with_two_connections(
    shop: Shop, tmp_path: Path
) -> None:
    """The first-time race again, its claims split over two connections to one file."""
    welcome = await welcome_coupons(shop)
    people = await customers(5)
    second = TortoiseContext()
    await second.init(db_url=f"sqlite://{tmp_path / 'coupons.sqlite3'}", modules=MODELS)
    try:
        actions = []
        attempts = [(c, p) for _ in range(4) for c in welcome for p in people]
        for n, (coupon, person) in enumerate(attempts):
            with second if n % 2 else nullcontext():
                actions.append(asyncio.ensure_future(coupons.claim(coupon.id, person, now=NOW)))
        won, refusals = await all_at_once(actions)
    finally:
        await second.close_connections()
    assert sorted(c.user_id for c in won) == people
    assert set(refusals) <= {"not_eligible", "limit_reached"}
    assert await CouponClaim.all().count() == 5
