"""The customer record without Telegram, on SQLite and PostgreSQL: each event (follow, claim,
redeem, purchase) keeps it in the event's own transaction, the readers answer from it, and a
purchase is recorded together with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from bot import clock as bot_clock
from bot.clock import Clock, FrozenClock
from bot.models import (
    Audience,
    Coupon,
    CouponKind,
    Customer,
    CustomerEvent,
    Purchase,
    Shop,
    Staff,
    StaffRole,
    User,
)
from bot.services import coupons, customers, fast_sql, follows
from bot.services.coupons import MAX_CENTS
from bot.services.purchases import PurchaseError, record_purchase
from bot.services.shops import ShopDraft, create_shop
from bot.services.users import ensure_user
from tests.unit.test_coupons import fresh_database

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
T1, T2, T3 = (T0 + timedelta(hours=h) for h in (1, 2, 3))
OWNER, CLERK, RIVAL, ANN, BOB = 1, 2, 3, 101, 102


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    """The bot's clock (follows read it) stands at T0 until a test moves it."""
    stopped = FrozenClock(T0)
    bot_clock.install(stopped)
    yield stopped
    bot_clock.install(Clock())


@pytest.fixture
async def shop(database: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Shop]:
    """An approved noodle shop run by OWNER with CLERK; a rival shop; Ann and Bob."""
    async with fresh_database(database, tmp_path):
        for user_id, name in ((OWNER, "Wang"), (CLERK, "Zhou"), (RIVAL, "Chen")):
            await ensure_user(user_id, name, None, "en")
        await ensure_user(ANN, "Ann", None, "en")
        await ensure_user(BOB, "Bob", None, "en")
        draft = ShopDraft(name="Lao Wang Noodles", category="dining", lat=31.2, lng=121.5)
        noodles = await create_shop(OWNER, draft, require_approval=False)
        await Staff.create(shop=noodles, user_id=CLERK, role=StaffRole.CLERK)
        yield noodles


async def rival_shop() -> Shop:
    draft = ShopDraft(name="Chen Hair", category="beauty", lat=31.2, lng=121.5)
    return await create_shop(RIVAL, draft, require_approval=False)


async def a_coupon(shop: Shop, **changes: Any) -> Coupon:
    offer = {"kind": CouponKind.AMOUNT, "value": 500, "title": "¥5 off", "valid_days": 30}
    return await coupons.create_coupon(shop.id, **(offer | changes))


async def record(shop: Shop, user_id: int) -> Customer:
    return await Customer.get(shop_id=shop.id, user_id=user_id)


def fields_of(found: Customer, *names: str) -> tuple[Any, ...]:
    return tuple(getattr(found, name) for name in names)


# ------------------------------------------------------------------------------ events


async def test_a_follow_is_kept_but_does_not_make_a_customer(
    shop: Shop, clock: FrozenClock
) -> None:
    await follows.follow_shop(ANN, shop.id)
    ann = await record(shop, ANN)
    assert ann.source == CustomerEvent.FOLLOW
    assert fields_of(ann, "first_seen", "last_seen", "followed_at") == (T0, T0, T0)
    assert fields_of(ann, "customer_since", "claimed_at", "visits", "spend_cents") == (
        None,
        None,
        0,
        0,
    )
    assert await customers.customers_of(shop.id) == set()
    assert not await customers.is_customer(shop.id, ANN)
    assert await customers.is_first_time(shop.id, ANN)
    assert await customers.came_through_follow(shop.id, ANN)
    assert not await customers.is_verified(shop.id, ANN)

    # Following again later keeps the first follow; the record moves its last_seen only.
    await follows.unfollow_shop(ANN, shop.id)
    clock.set(T1)
    await follows.follow_shop(ANN, shop.id)
    ann = await record(shop, ANN)
    assert fields_of(ann, "first_seen", "last_seen", "followed_at") == (T0, T1, T0)
    assert await Customer.all().count() == 1

    # "No more offers from this shop" is no follow: no record for Bob.
    await follows.mute_shop(BOB, shop.id)
    assert await customers.record_of(shop.id, BOB) is None


async def test_a_claim_makes_a_customer_and_ends_first_time(shop: Shop, clock: FrozenClock) -> None:
    welcome = await a_coupon(shop, audience=Audience.NEW_CUSTOMERS, per_user_limit=2)
    drink = await a_coupon(shop, title="Free drink")
    await follows.follow_shop(ANN, shop.id)
    await coupons.claim(welcome.id, ANN, now=T1)
    ann = await record(shop, ANN)
    assert ann.source == CustomerEvent.FOLLOW  # how she came stays
    assert fields_of(ann, "customer_since", "claimed_at", "sole_coupon_id") == (
        T1,
        T1,
        welcome.id,
    )
    assert fields_of(ann, "last_seen", "visits", "redeemed_at") == (T1, 0, None)
    assert await customers.customers_of(shop.id) == {ANN}
    assert not await customers.is_first_time(shop.id, ANN)
    assert await customers.is_first_time(shop.id, ANN, coupon_id=welcome.id)
    assert not await customers.is_first_time(shop.id, ANN, coupon_id=drink.id)
    assert not await customers.is_verified(shop.id, ANN)

    # A second, different coupon: her only dealing is no longer the welcome coupon.
    await coupons.claim(drink.id, ANN, now=T2)
    ann = await record(shop, ANN)
    assert fields_of(ann, "claimed_at", "sole_coupon_id", "last_seen") == (T1, None, T2)
    assert not await customers.is_first_time(shop.id, ANN, coupon_id=welcome.id)

    # Bob came through a claim.
    await coupons.claim(drink.id, BOB, now=T3)
    assert (await record(shop, BOB)).source == CustomerEvent.CLAIM
    assert not await customers.came_through_follow(shop.id, BOB)
    assert await customers.customers_of(shop.id) == {ANN, BOB}


async def test_a_redemption_is_a_visit_and_verifies(shop: Shop) -> None:
    welcome = await a_coupon(shop, audience=Audience.NEW_CUSTOMERS, per_user_limit=2)
    held = await coupons.claim(welcome.id, ANN, now=T0)
    await coupons.redeem(held.id, CLERK, now=T1)
    ann = await record(shop, ANN)
    assert fields_of(ann, "redeemed_at", "last_visit_at", "last_seen", "visits") == (
        T1,
        T1,
        T1,
        1,
    )
    assert fields_of(ann, "customer_since", "spend_cents", "source") == (
        T0,
        0,
        CustomerEvent.CLAIM,
    )
    assert await customers.is_verified(shop.id, ANN)
    assert not await customers.is_first_time(shop.id, ANN, coupon_id=welcome.id)


async def test_record_purchase_writes_the_purchase_and_the_record(shop: Shop) -> None:
    first = await record_purchase(shop.id, ANN, 2800, CLERK, now=T0)
    loaded = await Purchase.get(id=first.id)
    assert fields_of(loaded, "shop_id", "user_id", "amount_cents", "staff_id", "created_at") == (
        shop.id,
        ANN,
        2800,
        CLERK,
        T0,
    )
    ann = await record(shop, ANN)
    assert ann.source == CustomerEvent.PURCHASE
    assert fields_of(ann, "customer_since", "bought_at", "last_visit_at") == (T0, T0, T0)
    assert fields_of(ann, "visits", "spend_cents") == (1, 2800)

    await record_purchase(shop.id, ANN, 1200, OWNER, now=T2)
    # A purchase committed late with an earlier time adds up but moves nothing back.
    await record_purchase(shop.id, ANN, 50, CLERK, now=T1)
    ann = await record(shop, ANN)
    assert fields_of(ann, "visits", "spend_cents") == (3, 4050)
    assert fields_of(ann, "first_seen", "bought_at", "last_visit_at", "last_seen") == (
        T0,
        T0,
        T2,
        T2,
    )
    assert await customers.is_verified(shop.id, ANN)
    assert await customers.customers_of(shop.id) == {ANN}
    rival = await rival_shop()
    assert await customers.customers_of(rival.id) == set()
    assert await customers.is_first_time(rival.id, ANN)


async def test_purchase_refusals_change_nothing(shop: Shop) -> None:
    await rival_shop()
    cases = [
        (ANN, 0, CLERK, "bad_amount"),
        (ANN, -100, CLERK, "bad_amount"),
        (ANN, MAX_CENTS + 1, CLERK, "bad_amount"),
        (ANN, 100, RIVAL, "not_staff"),  # staff of another shop
        (ANN, 100, BOB, "not_staff"),
        (CLERK, 100, CLERK, "own_purchase"),
        (9999, 100, CLERK, "unknown_customer"),
    ]
    for user_id, amount, staff_id, reason in cases:
        with pytest.raises(PurchaseError) as refused:
            await record_purchase(shop.id, user_id, amount, staff_id, now=T0)
        assert refused.value.reason == reason
    assert await Purchase.all().count() == 0 == await Customer.all().count()


async def test_the_record_moves_with_its_transaction(shop: Shop) -> None:
    """record_event writes inside the caller's transaction: a rollback takes it back, and a
    first-time-only write that finds the person no longer first-time writes nothing."""
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await customers.record_event(
                shop.id, ANN, CustomerEvent.PURCHASE, at=T0, amount_cents=900
            )
            raise RuntimeError("the purchase failed after the record")
    assert await customers.record_of(shop.id, ANN) is None

    welcome = await a_coupon(shop, audience=Audience.NEW_CUSTOMERS)
    await record_purchase(shop.id, ANN, 900, CLERK, now=T0)
    before = await record(shop, ANN)
    async with in_transaction():
        written = await customers.record_event(
            shop.id, ANN, CustomerEvent.CLAIM, at=T1, coupon_id=welcome.id, first_time_only=True
        )
    assert not written
    after = await record(shop, ANN)
    assert fields_of(after, "claimed_at", "last_seen", "sole_coupon_id") == (None, T0, None)
    assert fields_of(after, "visits", "spend_cents") == fields_of(before, "visits", "spend_cents")


async def test_customers_of_can_leave_out_the_unreachable(shop: Shop) -> None:
    coupon = await a_coupon(shop)
    await coupons.claim(coupon.id, ANN, now=T0)
    await record_purchase(shop.id, BOB, 500, CLERK, now=T0)
    await User.filter(id=BOB).update(reachable=False)
    assert await customers.customers_of(shop.id) == {ANN, BOB}
    assert await customers.customers_of(shop.id, reachable_only=True) == {ANN}


async def test_the_record_does_not_depend_on_the_order_events_commit_in(shop: Shop) -> None:
    coupon = await a_coupon(shop)
    events = [
        (CustomerEvent.FOLLOW, T0, {}),
        (CustomerEvent.CLAIM, T1, {"coupon_id": coupon.id}),
        (CustomerEvent.REDEEM, T2, {}),
        (CustomerEvent.PURCHASE, T3, {"amount_cents": 700}),
    ]
    for user_id, order in ((ANN, events), (BOB, events[::-1])):
        for event, at, details in order:
            async with in_transaction():
                await customers.record_event(shop.id, user_id, event, at=at, **details)
    # `welcomed_at` is when the welcome was queued: by the first visit to commit, by design.
    skip = ("id", "user_id", "welcomed_at")
    columns = [f for f in Customer._meta.fields_db_projection if f not in skip]
    ann, bob = await record(shop, ANN), await record(shop, BOB)
    assert fields_of(ann, *columns) == fields_of(bob, *columns)
    assert (ann.welcomed_at, bob.welcomed_at) == (T2, T3)  # the first visit each committed
    assert fields_of(bob, "source", "first_seen", "last_seen", "customer_since") == (
        CustomerEvent.FOLLOW,
        T0,
        T3,
        T1,
    )


# ------------------------------------------------------------------------------ concurrency


async def test_concurrent_events_of_one_person_lose_nothing(shop: Shop) -> None:
    """Purchases, a follow and claims of one person at once: one record, every visit and every
    cent counted (the counters are increments in SQL, the first insert ignores a twin)."""
    coupon = await a_coupon(shop, per_user_limit=5)
    amounts = [100 * n for n in range(1, 31)]
    actions = [record_purchase(shop.id, ANN, a, CLERK, now=T1) for a in amounts]
    actions += [coupons.claim(coupon.id, ANN, now=T0) for _ in range(5)]
    actions += [follows.follow_shop(ANN, shop.id)]
    await asyncio.gather(*actions)
    ann = await record(shop, ANN)
    assert await Customer.all().count() == 1
    assert fields_of(ann, "visits", "spend_cents") == (30, sum(amounts))
    assert fields_of(ann, "followed_at", "claimed_at", "bought_at", "sole_coupon_id") == (
        T0,
        T0,
        T1,
        coupon.id,
    )
    assert fields_of(ann, "customer_since", "last_seen") == (T0, T1)


# ------------------------------------------------------------------------------ hand-written SQL


async def test_the_first_time_rule_reads_the_same_in_sql_and_as_a_filter(shop: Shop) -> None:
    """customers.FIRST_TIME_SQL (the claim's UPDATE) and first_time_rule (the readers) agree
    on records in every state that matters."""
    mine, other = 7, 8
    states: list[dict[str, Any]] = [
        {},  # a follower
        {"customer_since": T0, "claimed_at": T0, "sole_coupon_id": mine},
        {"customer_since": T0, "claimed_at": T0, "sole_coupon_id": other},
        {"customer_since": T0, "claimed_at": T0, "sole_coupon_id": None},
        {"customer_since": T0, "claimed_at": T0, "sole_coupon_id": mine, "redeemed_at": T0},
        {"customer_since": T0, "bought_at": T0},
        {"customer_since": T0, "joined_at": T0},
    ]
    for n, state in enumerate(states):
        await ensure_user(1000 + n, f"P{n}", None, "en")
        await Customer.create(
            shop=shop, user_id=1000 + n, source=CustomerEvent.FOLLOW, first_seen=T0,
            last_seen=T0, **state,
        )  # fmt: skip
    for coupon_id in (None, mine):
        rule = customers.FIRST_TIME_SQL[coupon_id is not None].format(coupon="?")
        _, rows = await fast_sql.execute(
            Customer,
            f'SELECT "user_id" FROM "customers" WHERE "shop_id"=? AND {rule}',
            [shop.id] + ([] if coupon_id is None else [coupon_id]),
        )
        by_filter = Customer.filter(customers.first_time_rule(coupon_id), shop_id=shop.id)
        expected = set(await by_filter.values_list("user_id", flat=True))
        assert {row["user_id"] for row in rows} == expected
        assert expected  # the states cover both answers
        assert len(expected) < len(states)


async def test_hand_written_updates_store_times_as_tortoise_does(shop: Shop, database: str) -> None:
    """Stored times compare as text on SQLite: the UPDATE's must match Tortoise's INSERT's."""
    async with in_transaction():
        await customers.record_event(shop.id, ANN, CustomerEvent.PURCHASE, at=T1)
    async with in_transaction():
        await customers.record_event(shop.id, ANN, CustomerEvent.FOLLOW, at=T2)  # moves last_seen
    _, rows = await fast_sql.execute(
        Customer,
        'SELECT "first_seen", "last_seen", "bought_at" FROM "customers" WHERE "user_id"=?',
        [ANN],
    )
    first_seen, last_seen, bought_at = rows[0]  # first_seen: Tortoise's INSERT wrote it
    if database == "sqlite":
        assert (type(first_seen), type(last_seen)) == (str, str)
        assert first_seen == bought_at == T1.isoformat(" ")
        assert last_seen == T2.isoformat(" ")
    else:
        assert (first_seen, last_seen, bought_at) == (T1, T2, T1)
