"""The membership-card ledger at scale: 100,000 members and 1,000,000 ledger rows, then

* recording a purchase with points through the service the counter calls
  (`bot.services.ledger.record_purchase`: purchase row, points, tier upgrade, customer record,
  one transaction), p50/p95 over 1,000 purchases on random cards (target p95 <= 5 ms on SQLite);
* finding a card by its typed number (`cards.find_for_counter`), p50/p95;
* `check_ledger` over the whole database (target < 5 s).

    .venv/bin/python benchmarks/ledger.py [--members 100000] [--rows 1000000] [--purchases 1000]
                                          [--db postgres://user@host/empty_db]

SQLite by default (a temporary file). Seeding writes raw SQL (the services would take minutes
for a million rows); the timed parts go through the services as the bot does.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise import connections

from bot.db import start_db, stop_db
from bot.models import MemberCard
from bot.services import cards, ledger

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
SHOPS = 100
OWNER_BASE = 10_000_000  # owner of shop s: OWNER_BASE + s; clerk: CLERK_BASE + s
CLERK_BASE = 20_000_000


def ts(moment: datetime) -> str:
    return moment.isoformat(" ")


def seed_rows(members: int, rows: int) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Every table's rows: shops with programs (three tiers), members spread over the shops,
    ledger rows per card (earnings with their purchases, one top-up), consistent with the
    cards, so check_ledger finds nothing."""
    created = ts(NOW - timedelta(days=30))
    user_cols = (None, "en", 0, 0, 1, "Asia/Shanghai", 2000, 0, 1, 1320, 480, created)
    users = [(OWNER_BASE + s, f"owner{s}", *user_cols) for s in range(1, SHOPS + 1)]
    users += [(CLERK_BASE + s, f"clerk{s}", *user_cols) for s in range(1, SHOPS + 1)]
    users += [(m, f"m{m}", *user_cols) for m in range(1, members + 1)]
    shops = [
        (
            s,
            OWNER_BASE + s,
            f"Shop {s}",
            "dining",
            31.2,
            121.5,
            "",
            "",
            "{}",
            "Asia/Shanghai",
            "",
            "approved",
            0,
            0,
            created,
            created,
        )
        for s in range(1, SHOPS + 1)
    ]
    staff = [(OWNER_BASE + s, s, "owner") for s in range(1, SHOPS + 1)]
    staff += [(CLERK_BASE + s, s, "clerk") for s in range(1, SHOPS + 1)]
    programs = [
        (s, s, 1, 1, 100, 0, 0, 0, 0, 0, 12, 0, 7, 10_000, created) for s in range(1, SHOPS + 1)
    ]
    tiers = []
    for s in range(1, SHOPS + 1):
        tiers += [
            (3 * s - 2, s, 0, "Member", "#888888", 1, 0, 0, None),
            (3 * s - 1, s, 1, "Silver", "#C0C0C0", 2, 5, 5_000_000, 10_000_000),
            (3 * s, s, 2, "Gold", "#FFD700", 3, 10, 50_000_000, None),
        ]
    per_card = rows // members
    cards_, entries, purchases, customers = [], [], [], []
    entry_id = purchase_id = 0
    for m in range(1, members + 1):
        shop = m % SHOPS + 1
        body = f"{10_000_000 + m:08d}"[-8:]
        number = body + cards.luhn_digit(body)
        points = balance = spend = 0
        for k in range(per_card):
            at = ts(NOW - timedelta(days=per_card - k, minutes=m % 1440))
            entry_id += 1
            if k == 0:  # a top-up of ¥200
                balance += 20_000
                entries.append(
                    (
                        entry_id,
                        m,
                        "top_up",
                        0,
                        20_000,
                        20_000,
                        None,
                        CLERK_BASE + shop,
                        None,
                        None,
                        at,
                        0,
                        None,
                    )
                )
                continue
            purchase_id += 1
            amount = 1_000 + (m * 7 + k * 13) % 9_000
            earned = amount // 100
            points += earned
            spend += amount
            purchases.append(
                (
                    purchase_id,
                    shop,
                    m,
                    amount,
                    CLERK_BASE + shop,
                    at,
                    m,
                    earned,
                    0,
                    0,
                    0,
                    None,
                    None,
                    None,
                    None,
                )
            )
            entries.append(
                (
                    entry_id,
                    m,
                    "earn",
                    earned,
                    0,
                    amount,
                    purchase_id,
                    CLERK_BASE + shop,
                    None,
                    None,
                    at,
                    earned,
                    ts(NOW + timedelta(days=300)),
                )
            )
        cards_.append(
            (
                m,
                shop,
                m,
                number,
                3 * shop - 2,
                points,
                balance,
                spend,
                None,
                0,
                None,
                created,
                created,
                0,
            )
        )
        customers.append(
            (
                shop,
                m,
                "join",
                created,
                created,
                created,
                None,
                None,
                None,
                None,
                created,
                created,
                per_card - 1,
                spend,
                created,
                created,  # welcomed at their first visit (as migration 0008 marks past visitors)
            )
        )
    return {
        "users": users,
        "shops": shops,
        "staff": staff,
        "card_programs": programs,
        "card_tiers": tiers,
        "member_cards": cards_,
        "purchases": purchases,
        "ledger_entries": entries,
        "customers": customers,
    }


COLUMNS = {
    "users": "id, first_name, username, language, is_consumer, is_merchant, role_chosen, timezone,"
    " default_radius_m, profile_reminded, reachable, quiet_start, quiet_end, created_at",
    "shops": "id, owner_id, name, category, lat, lng, address, phone, hours, timezone,"
    " description, status, rating_sum, rating_count, created_at, updated_at",
    "staff": "user_id, shop_id, role",
    "card_programs": "id, shop_id, active, stored_value, points_per_currency_unit_off,"
    " min_order_cents, max_points_per_order, need_name, need_phone, need_birthday,"
    " points_expiry_months, requalify_yearly, void_days, daily_alert_limit, updated_at",
    "card_tiers": "id, program_id, rank, name, colour, points_per_unit, discount_percent,"
    " threshold_spend_cents, threshold_topup_cents",
    "member_cards": "id, shop_id, user_id, number, tier_id, points, balance_cents, spend_cents,"
    " password_hash, failed_attempts, locked_until, joined_at, qualified_since, downgrade_noticed",
    "purchases": "id, shop_id, user_id, amount_cents, staff_id, created_at, card_id,"
    " points_earned, points_spent, value_spent_cents, discount_cents, coupon_claim_id, key,"
    " voided_at, voided_by_id",
    "ledger_entries": "id, card_id, kind, points_delta, balance_delta, amount_cents, purchase_id,"
    " staff_id, reason, key, created_at, points_left, expires_at",
    "customers": "shop_id, user_id, source, first_seen, last_seen, customer_since, followed_at,"
    " claimed_at, sole_coupon_id, redeemed_at, bought_at, last_visit_at, visits, spend_cents,"
    " joined_at, welcomed_at",
}
SERIAL = ("shops", "card_programs", "card_tiers", "member_cards", "purchases", "ledger_entries")
ORDER = (
    "users",
    "shops",
    "staff",
    "card_programs",
    "card_tiers",
    "member_cards",
    "purchases",
    "ledger_entries",
    "customers",
)


def seed_sqlite(path: Path, data: dict[str, list[tuple]]) -> None:  # type: ignore[type-arg]
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    with db:
        for table in ORDER:
            cols = COLUMNS[table]
            marks = ", ".join("?" * len(cols.split(",")))
            db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", data[table])
    db.execute("ANALYZE")
    db.close()


async def seed_postgres(data: dict[str, list[tuple]]) -> None:  # type: ignore[type-arg]
    conn = connections.get("default")
    async with conn.acquire_connection() as raw:
        for table in ORDER:
            cols = [c.strip() for c in COLUMNS[table].split(",")]
            records = [
                tuple(_pg(v, c) for v, c in zip(row, cols, strict=True)) for row in data[table]
            ]
            await raw.copy_records_to_table(table, records=records, columns=cols)
        for table in SERIAL:  # rows were written with their ids: move the sequences on
            await raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT MAX(id) FROM {table}))"
            )
        await raw.execute("ANALYZE")


def _pg(value: object, column: str) -> object:
    if isinstance(value, str) and column.endswith(
        ("_at", "_since", "first_seen", "last_seen", "until")
    ):
        return datetime.fromisoformat(value)
    if column in (
        "is_consumer",
        "is_merchant",
        "role_chosen",
        "profile_reminded",
        "reachable",
        "active",
        "stored_value",
        "need_name",
        "need_phone",
        "need_birthday",
        "requalify_yearly",
        "downgrade_noticed",
    ):
        return bool(value)
    return value


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    return f"p50 {p50:6.2f} ms   p95 {p95:6.2f} ms"


def p95_of(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[int(len(ordered) * 0.95) - 1]


async def commit_floor(n: int) -> list[float]:
    """The same run's baseline: a transaction that inserts one row into a scratch table and
    commits, through the bot's connection: what any write costs here before any rule runs."""
    from tortoise.transactions import in_transaction

    db = connections.get("default")
    await db.execute_script(
        "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, v INT)"
    )
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        async with in_transaction() as conn:
            await conn.execute_query(f"INSERT INTO bench_floor (id, v) VALUES ({i + 1}, {i})")
        samples.append(time.perf_counter() - t0)
    await db.execute_script("DROP TABLE bench_floor")
    return samples


async def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    data = seed_rows(args.members, args.rows)
    built = time.perf_counter() - started
    if args.db:
        url = args.db
        await start_db(url)
        started = time.perf_counter()
        await seed_postgres(data)
    else:
        path = Path(tempfile.mkdtemp()) / "ledger.sqlite3"
        url = f"sqlite://{path}" + (f"?synchronous={args.synchronous}" if args.synchronous else "")
        await start_db(url)
        await stop_db()
        started = time.perf_counter()
        seed_sqlite(path, data)
        await start_db(url)
    seeded = time.perf_counter() - started
    rows = len(data["ledger_entries"])
    print(
        f"{url.split('://')[0]}: {args.members:,} members, {rows:,} ledger rows, "
        f"{len(data['purchases']):,} purchases (built {built:.1f} s, seeded {seeded:.1f} s)"
    )
    print(
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    rng = random.Random(8)
    picks = [rng.randint(1, args.members) for _ in range(args.purchases)]
    numbers = dict(await MemberCard.filter(id__in=picks).values_list("id", "number"))

    finds = []
    for card_id in picks:
        shop_id = card_id % SHOPS + 1
        t0 = time.perf_counter()
        await cards.find_for_counter(shop_id, numbers[card_id])
        finds.append(time.perf_counter() - t0)
    print(f"find a card by its number         {percentiles(finds)}")

    samples = []
    for i, card_id in enumerate(picks):
        card = await MemberCard.get(id=card_id)
        shop_id = card.shop_id
        t0 = time.perf_counter()
        result = await ledger.record_purchase(
            shop_id,
            card,
            1_000 + rng.randint(0, 50_000),
            CLERK_BASE + shop_id,
            key=f"bench:{i}",
            now=NOW,
        )
        samples.append(time.perf_counter() - t0)
        assert result.points_earned > 0
    print(f"record a purchase with points     {percentiles(samples)}   (n={len(samples)})")

    floor = await commit_floor(len(samples))
    print(
        f"baseline: one-row write transaction {percentiles(floor)}   (the commit floor)"
        f" -> purchase p95 = {p95_of(samples) / p95_of(floor):.1f}x the floor"
    )

    t0 = time.perf_counter()
    mismatches = await ledger.check_ledger()
    took = time.perf_counter() - t0
    print(f"check_ledger, whole database      {took:6.2f} s   mismatches: {len(mismatches)}")
    await stop_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=1_000)
    parser.add_argument(
        "--synchronous", help="SQLite: PRAGMA synchronous for the bot's connection (e.g. NORMAL)"
    )
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: SQLite)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
