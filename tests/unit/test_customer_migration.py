"""Migration 0003 (customers) on SQLite and PostgreSQL: a database at 0001 holding follows, claims,
redemptions and purchases is migrated, and every (shop, person) gets the record the services
would have kept; the services carry on from it. Migration 0008 counts past visitors as welcomed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate

from bot.db import start_db, stop_db, tortoise_config
from bot.models import (
    ClaimStatus,
    CouponClaim,
    Customer,
    CustomerEvent,
    Follow,
    Outbox,
    Shop,
    ShopStatus,
    Staff,
    StaffRole,
)
from bot.services import customers
from bot.services.care import WELCOME_KIND
from bot.services.purchases import record_purchase
from tests.conftest import POSTGRES_URL, _admin

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
T1, T2, T3, T4 = (T0 + timedelta(days=d) for d in (1, 2, 3, 4))
OWNER, ANN, BOB, CAI, DAN, EVE, FAY, GUS = 1, 101, 102, 103, 104, 105, 106, 107
USER_AT_0001 = (
    "INSERT INTO users (id, first_name, language, is_consumer, is_merchant, role_chosen,"
    " timezone, default_radius_m, profile_reminded, reachable, quiet_start, quiet_end,"
    " created_at) VALUES ({id}, '{name}', 'en', FALSE, FALSE, FALSE, 'Asia/Shanghai', 2000,"
    " FALSE, TRUE, 1320, 480, '2025-01-01 00:00:00+00:00')"
)
COUPON_AT_0001 = (
    "INSERT INTO coupons (id, shop_id, kind, value, title, terms, min_spend_cents,"
    " claimed_count, redeemed_count, per_user_limit, valid_days, audience, status, created_at)"
    " VALUES ({id}, {shop}, 'amount', 500, '{title}', '', 0, 0, 0, 1, 30, 'everyone', 'active',"
    " '2025-01-01 00:00:00+00:00')"
)
COLUMNS = (
    "source",
    "first_seen",
    "last_seen",
    "customer_since",
    "followed_at",
    "claimed_at",
    "sole_coupon_id",
    "redeemed_at",
    "bought_at",
    "last_visit_at",
    "visits",
    "spend_cents",
)


@pytest.fixture
def empty_db_url(database: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (no migrations applied)."""
    if database == "sqlite":
        yield f"sqlite://{tmp_path / 'old.sqlite3'}"
        return
    name = f"shopbot_fill_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    yield urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def purchase_at_0001(shop_id: int, user_id: int, amount_cents: int, at: datetime) -> None:
    """A purchase row with the columns of 0001 only (the model has gained card columns since:
    the ORM would write them too)."""
    conn = connections.get("default")
    values = "$1, $2, $3, $4" if conn.capabilities.dialect == "postgres" else "?, ?, ?, ?"
    await conn.execute_query(
        f"INSERT INTO purchases (shop_id, user_id, amount_cents, created_at) VALUES ({values})",
        [shop_id, user_id, amount_cents, at],
    )


async def history_at_0001(url: str) -> dict[str, int]:
    """Migrate to 0001 only and write the rows the bot wrote before customer records."""
    EXECUTOR_CACHE.clear()
    await migrate(config=tortoise_config(url), target="models.0001_initial")
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(url))
    try:
        names = {OWNER: "Wang", ANN: "Ann", BOB: "Bob", CAI: "Cai", DAN: "Dan", EVE: "Eve"}
        names |= {FAY: "Fay", GUS: "Gus"}
        db = connections.get("default")
        # Users and coupons as 0001 had them (the models have grown columns since).
        for i, n in names.items():
            await db.execute_script(USER_AT_0001.format(id=i, name=n))
        noodles, laundry = [
            await Shop.create(
                owner_id=OWNER,
                name=name,
                category=category,
                lat=31.2,
                lng=121.5,
                status=ShopStatus.APPROVED,
            )
            for name, category in (("Noodles", "dining"), ("Laundry", "laundry"))
        ]
        await Staff.create(shop=noodles, user_id=OWNER, role=StaffRole.OWNER)
        welcome, drink = 1, 2
        for coupon_id, title in ((welcome, "Welcome"), (drink, "Drink")):
            await db.execute_script(
                COUPON_AT_0001.format(id=coupon_id, shop=noodles.id, title=title)
            )

        async def claimed(coupon: int, user_id: int, at: datetime, seq: int = 1, **more):
            code = uuid.uuid4().hex[:10].upper()
            await CouponClaim.create(
                coupon_id=coupon, user_id=user_id, seq=seq, code=code, claimed_at=at, **more
            )

        # Ann followed, claimed and used the welcome coupon, then bought twice; and once at
        # the laundry.
        await Follow.create(user_id=ANN, shop=noodles, created_at=T0)
        used = {"status": ClaimStatus.REDEEMED, "redeemed_at": T2, "redeemed_by_id": OWNER}
        await claimed(welcome, ANN, T1, **used)
        await purchase_at_0001(noodles.id, ANN, 2800, T3)
        await purchase_at_0001(noodles.id, ANN, 1200, T4)
        await purchase_at_0001(laundry.id, ANN, 900, T1)
        # Bob holds two different coupons; Gus holds the welcome coupon twice.
        await claimed(welcome, BOB, T1)
        await claimed(drink, BOB, T2)
        await claimed(welcome, GUS, T1)
        await claimed(welcome, GUS, T2, seq=2)
        # Cai only bought; Eve only follows; Dan only muted; Fay follows a category.
        await purchase_at_0001(noodles.id, CAI, 500, T2)
        await Follow.create(user_id=EVE, shop=noodles, created_at=T3)
        await Follow.create(user_id=DAN, shop=noodles, muted=True, created_at=T0)
        await Follow.create(user_id=FAY, category="dining", lat=31.2, lng=121.5, radius_m=2000)
        return {"noodles": noodles.id, "laundry": laundry.id, "welcome": welcome}
    finally:
        await Tortoise.close_connections()


async def test_migration_fills_the_records_from_history(empty_db_url: str) -> None:
    ids = await history_at_0001(empty_db_url)
    noodles, laundry, welcome = ids["noodles"], ids["laundry"], ids["welcome"]
    follow, claim, purchase = CustomerEvent.FOLLOW, CustomerEvent.CLAIM, CustomerEvent.PURCHASE
    expected = {
        # source, first/last seen, since, followed, claimed, sole coupon, redeemed, bought,
        # last visit, visits, spend
        (noodles, ANN): (follow, T0, T4, T1, T0, T1, welcome, T2, T3, T4, 3, 4000),
        (laundry, ANN): (purchase, T1, T1, T1, None, None, None, None, T1, T1, 1, 900),
        (noodles, BOB): (claim, T1, T2, T1, None, T1, None, None, None, None, 0, 0),
        (noodles, GUS): (claim, T1, T2, T1, None, T1, welcome, None, None, None, 0, 0),
        (noodles, CAI): (purchase, T2, T2, T2, None, None, None, None, T2, T2, 1, 500),
        (noodles, EVE): (follow, T3, T3, None, T3, None, None, None, None, None, 0, 0),
    }
    await start_db(empty_db_url)  # applies the migrations after 0001
    try:
        rows = await Customer.all().values("shop_id", "user_id", *COLUMNS)
        found = {(r["shop_id"], r["user_id"]): tuple(r[c] for c in COLUMNS) for r in rows}
        assert found == expected

        # The readers answer from the filled records...
        assert await customers.customers_of(noodles) == {ANN, BOB, CAI, GUS}
        assert await customers.is_verified(noodles, ANN)
        assert not await customers.is_verified(noodles, BOB)
        assert await customers.is_first_time(noodles, EVE)
        assert await customers.is_first_time(noodles, GUS, coupon_id=welcome)
        assert not await customers.is_first_time(noodles, BOB, coupon_id=welcome)
        assert await customers.came_through_follow(noodles, ANN)
        # ...and the services carry on from them.
        await record_purchase(noodles, ANN, 100, OWNER, now=T4 + timedelta(days=1))
        ann = await Customer.get(shop_id=noodles, user_id=ANN)
        assert (ann.visits, ann.spend_cents, ann.bought_at) == (4, 4100, T3)

        # Migration 0008: people who had visited count as welcomed at their first visit, so
        # only a first visit after it brings the shop's welcome.
        welcomed = await Customer.all().values_list("shop_id", "user_id", "welcomed_at")
        assert {(shop, user): at for shop, user, at in welcomed} == {
            (noodles, ANN): T2,
            (laundry, ANN): T1,
            (noodles, BOB): None,
            (noodles, GUS): None,
            (noodles, CAI): T2,
            (noodles, EVE): None,
        }
        assert not await Outbox.filter(kind=WELCOME_KIND).exists()
        await record_purchase(noodles, BOB, 100, OWNER, now=T4 + timedelta(days=1))
        assert await Outbox.filter(kind=WELCOME_KIND).values_list("user_id", flat=True) == [BOB]
    finally:
        await stop_db()
