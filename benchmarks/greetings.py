"""Benchmark the daily birthday selection, `bot.services.greetings.birthdays_due(today)` — the
service the greeting job calls — on 1,000,000 customers with birthdays.

    .venv/bin/python benchmarks/greetings.py [--customers 1000000] [--shops 2000]
        [--db sqlite:///tmp/greetings_bench.sqlite3] [--days 7]

Builds (or reuses) a SQLite database through the bot's migrations, then bulk-loads N people,
each with a random birthday (29 February included) and a customer of one of the shops, with
sqlite3's executemany in one transaction (seconds, not the ORM's minutes). A few shops greet
0 or 7 days ahead instead of the default 3, and one in fifty people opted out of their shop.
Then it times `birthdays_due(day)` for `--days` consecutive days, and checks every count
against the same selection computed in Python from the seeded data. Target: under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise import connections

from bot.db import start_db, stop_db
from bot.services import greetings
from bot.services.greetings import month_days_of

STAMP = "2025-01-01 00:00:00+00:00"
BATCH = 50_000
START = date(2030, 2, 24)  # the days timed run across 28/29 February and into March


def people(n: int, seed: int) -> list[tuple[int, date, int]]:
    """(user id, birthday, shop index) for N people, reproducibly."""
    rng = random.Random(seed)
    epoch = date(1950, 1, 1).toordinal()
    span = date(2010, 12, 31).toordinal() - epoch
    return [(100 + i, date.fromordinal(epoch + rng.randrange(span)), rng.randrange(1 << 30))
            for i in range(n)]  # fmt: skip


def days_before_of(shop_index: int) -> int:
    """Most shops keep the default (3); every 10th greets on the day, every 25th a week ahead."""
    if shop_index % 10 == 0:
        return 0
    if shop_index % 25 == 0:
        return 7
    return 3


Seeded = list[tuple[int, date, int, bool]]


def seed(path: str, n: int, shops: int, rng_seed: int) -> tuple[Seeded, bool]:
    """Fill the database (empty tables of the migrated schema), unless it holds this data
    already; returns what is there, (user, birthday, shop id, opted out), and whether it was
    reused."""
    rows = [(u, born, 1 + s % shops, u % 50 == 0) for u, born, s in people(n, rng_seed)]
    db = sqlite3.connect(path)
    try:
        if db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == n:
            return rows, True
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        for table in ("greeting_opt_outs", "greeting_settings", "customers", "shops", "users"):
            db.execute(f"DELETE FROM {table}")
        user_sql = (
            "INSERT INTO users (id, first_name, language, is_consumer, is_merchant, role_chosen,"
            " birthday, birth_md, timezone, default_radius_m, profile_reminded, reachable,"
            " quiet_start, quiet_end, created_at) VALUES (?, ?, 'zh_Hans', 1, 0, 1, ?, ?,"
            " 'Asia/Shanghai', 2000, 0, 1, 1320, 480, ?)"
        )
        db.execute(user_sql, (1, "Owner", None, None, STAMP))
        db.executemany(
            "INSERT INTO shops (id, owner_id, name, category, lat, lng, address, phone, hours,"
            " timezone, description, status, rating_sum, rating_count, created_at, updated_at)"
            " VALUES (?, 1, ?, 'dining', 31.2, 121.5, '', '', '{}', 'Asia/Shanghai', '',"
            " 'approved', 0, 0, ?, ?)",
            [(s, f"Shop {s}", STAMP, STAMP) for s in range(1, shops + 1)],
        )
        db.executemany(
            "INSERT INTO greeting_settings (shop_id, enabled, audience, birthday_on,"
            " birthday_days_before, updated_at) VALUES (?, 1, 'customers', 1, ?, ?)",
            [(s, days_before_of(s), STAMP) for s in range(1, shops + 1) if days_before_of(s) != 3],
        )
        for start in range(0, n, BATCH):
            chunk = rows[start : start + BATCH]
            db.executemany(
                user_sql,
                [(u, f"P{u}", b.isoformat(), b.month * 100 + b.day, STAMP) for u, b, _, _ in chunk],
            )
            db.executemany(
                "INSERT INTO customers (shop_id, user_id, source, first_seen, last_seen,"
                " customer_since, visits, spend_cents) VALUES (?, ?, 'purchase', ?, ?, ?, 1, 100)",
                [(s, u, STAMP, STAMP, STAMP) for u, _, s, _ in chunk],
            )
            db.executemany(
                "INSERT INTO greeting_opt_outs (user_id, shop_id, created_at) VALUES (?, ?, ?)",
                [(u, s, STAMP) for u, _, s, out in chunk if out],
            )
        db.commit()
        db.execute("ANALYZE")
        db.commit()
    finally:
        db.close()
    return rows, False


def expected(rows: list[tuple[int, date, int, bool]], today: date) -> int:
    """The selection computed from the seeded data, without the database."""
    wanted = {d: set(month_days_of(today + timedelta(days=d))) for d in (0, 3, 7)}
    return sum(
        1
        for _, born, shop, out in rows
        if not out and born.month * 100 + born.day in wanted[days_before_of(shop)]
    )


async def full_scan_baseline(today: date, rows: list[tuple[int, date, int, bool]]) -> float:
    """The selection without the indexed month-day column: read every customer record with a
    birthday and match month-days in Python (what a first version would do). Seconds."""
    wanted = {d: set(month_days_of(today + timedelta(days=d))) for d in (0, 3, 7)}
    days_of = {shop: days_before_of(shop) for _, _, shop, _ in rows}
    t0 = time.perf_counter()
    found = await connections.get("default").execute_query_dict(
        "SELECT c.user_id, c.shop_id, u.birthday FROM customers c JOIN users u ON u.id = c.user_id"
        " WHERE u.birthday IS NOT NULL AND u.reachable"
    )
    due = 0
    for row in found:
        born = row["birthday"]
        born = date.fromisoformat(born) if isinstance(born, str) else born
        if born.month * 100 + born.day in wanted[days_of.get(row["shop_id"], 3)]:
            due += 1
    return time.perf_counter() - t0


async def main(args: argparse.Namespace) -> None:
    path = args.db.removeprefix("sqlite://")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    await start_db(args.db)  # the bot's migrations: the real schema and indexes
    await stop_db()
    t0 = time.perf_counter()
    rows, reused = seed(path, args.customers, args.shops, args.seed)
    how = "reused" if reused else f"seeded in {time.perf_counter() - t0:.1f} s"
    print(f"{args.customers:,} customers of {args.shops:,} shops, {how} ({path})")
    await start_db(args.db)
    try:
        await greetings.birthdays_due(START)  # warm the connection and the page cache
        times, cpu, counts = [], [], Counter[date]()
        for i in range(args.days):
            day = START + timedelta(days=i)
            t0, c0 = time.perf_counter(), time.process_time()
            due = await greetings.birthdays_due(day)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            counts[day] = len(due)
            ok = "ok" if len(due) == expected(rows, day) else f"MISMATCH {expected(rows, day)}"
            print(f"  {day}  selected {len(due):>6,}  in {times[-1] * 1000:7.1f} ms"
                  f"  (CPU {cpu[-1] * 1000:6.1f} ms, {ok})")  # fmt: skip
        scan = await full_scan_baseline(START, rows)
        print(
            f"baseline, same run: every customer with a birthday read and matched in Python"
            f" (no month-day index): {scan * 1000:.1f} ms for {START} ->"
            f" birthdays_due is {scan / statistics.median(times):.0f}x faster"
        )
        print(
            f"birthdays_due over {args.days} days: median {statistics.median(times) * 1000:.1f} ms,"
            f" max {max(times) * 1000:.1f} ms (process CPU median"
            f" {statistics.median(cpu) * 1000:.1f} ms); {statistics.mean(counts.values()):,.0f}"
            f" selected per day; target < 1000 ms: {'met' if max(times) < 1 else 'MISSED'}"
        )
        print(f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        await stop_db()


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--shops", type=int, default=2_000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--db", default="sqlite:///tmp/greetings_bench.sqlite3")
    return ap.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
