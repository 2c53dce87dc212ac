"""Migration 0007 (greetings) on SQLite and PostgreSQL: users with a birthday get its indexed
month-day, coupons and outbox rows written before it read as not granted and for no shop."""

from __future__ import annotations

from datetime import date

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate

from bot.db import start_db, stop_db, tortoise_config
from bot.models import Coupon, Outbox, User
from bot.services.users import birth_md_of
from tests.unit.test_customer_migration import empty_db_url  # noqa: F401 (fixture)

USERS = "INSERT INTO users (id, first_name, language, is_consumer, is_merchant, role_chosen, " \
    "birthday, timezone, default_radius_m, profile_reminded, reachable, quiet_start, " \
    "quiet_end, created_at) VALUES ({id}, 'P', 'en', TRUE, FALSE, TRUE, {birthday}, " \
    "'Asia/Shanghai', 2000, FALSE, TRUE, 1320, 480, '2025-01-01 00:00:00+00:00')"
SHOP = "INSERT INTO shops (id, owner_id, name, category, lat, lng, address, phone, hours, " \
    "timezone, description, status, rating_sum, rating_count, created_at, updated_at) VALUES " \
    "(1, 1, 'Noodles', 'dining', 31.2, 121.5, '', '', '{}', 'Asia/Shanghai', '', " \
    "'approved', 0, 0, '2025-01-01 00:00:00+00:00', '2025-01-01 00:00:00+00:00')"
COUPON = "INSERT INTO coupons (shop_id, kind, value, title, terms, min_spend_cents, " \
    "claimed_count, redeemed_count, per_user_limit, audience, status, created_at) VALUES " \
    "(1, 'amount', 500, 'Old', '', 0, 0, 0, 1, 'everyone', 'active', " \
    "'2025-01-01 00:00:00+00:00')"
OUTBOX = "INSERT INTO outbox (campaign, kind, user_id, payload, status, attempts, " \
    "not_before, created_at) VALUES ('c', 'promo', 1, '{}', 'sent', 0, " \
    "'2025-01-01 00:00:00+00:00', '2025-01-01 00:00:00+00:00')"
BIRTHDAYS = {1: None, 2: date(1990, 5, 21), 3: date(2000, 2, 29), 4: date(1985, 12, 31)}


async def test_migration_fills_birth_md_and_defaults(empty_db_url: str) -> None:  # noqa: F811
    EXECUTOR_CACHE.clear()
    await migrate(config=tortoise_config(empty_db_url), target="models.0005_launch_key")
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(empty_db_url))
    try:
        db = connections.get("default")
        for user_id, born in BIRTHDAYS.items():
            value = "NULL" if born is None else f"'{born.isoformat()}'"
            await db.execute_script(USERS.format(id=user_id, birthday=value))
        for sql in (SHOP, COUPON, OUTBOX):
            await db.execute_script(sql)
    finally:
        await Tortoise.close_connections()

    await start_db(empty_db_url)  # applies 0006.. onwards
    try:
        found = dict(await User.all().values_list("id", "birth_md"))
        assert found == {1: None, 2: 521, 3: 229, 4: 1231}
        assert found == {i: born and birth_md_of(born) for i, born in BIRTHDAYS.items()}
        assert await Coupon.all().values_list("granted", flat=True) == [False]
        assert await Outbox.all().values_list("shop_id", flat=True) == [None]
        # A coupon made the way the bot makes them after the migration: not granted.
        made = await Coupon.create(shop_id=1, kind="amount", value=100, title="New", valid_days=3)
        assert made.granted is False
    finally:
        await stop_db()
