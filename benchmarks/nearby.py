"""Benchmark `bot.services.search.nearby` against a full-scan baseline on a synthetic city.

    .venv/bin/python benchmarks/nearby.py [--shops 1000000] [--queries 1000]
        [--db sqlite:///tmp/nearby.sqlite3 | postgres://postgres@127.0.0.1:5432/nearby_bench]
        [--baseline-queries 100] [--anatomy] [--profile] [--all-categories]

Builds N approved, indexed shops spread uniformly over ~100 km x 100 km around (31.23, 121.47)
in eight categories (reusing the database when it already holds them), runs ANALYZE, then times
the same random queries (2 km, one random category, top 10) through the service the bot calls
and through a brute-force scan of the category, and checks both agree. `--all-categories`
queries every category at once instead: what 📍 Nearby lists first, right after the location.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import math
import os
import platform
import pstats
import random
import shlex
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection

from bot.db import start_db, stop_db
from bot.models.shops import ShopGeo
from bot.models.users import User
from bot.services import search

CENTRE = (31.23, 121.47)
HALF_SIDE_M = 50_000.0
CATEGORIES = ("food", "hair", "laundry", "repair", "pharmacy", "grocery", "cafe", "fitness")
BATCH = 50_000
SHOP_COLUMNS = ["id", "name", "category", "lat", "lng"]
SHOP_CONSTANTS: dict[str, Any] = {  # + created_at, updated_at
    "owner_id": 1,
    "address": "",
    "phone": "",
    "hours": "{}",
    "timezone": "Asia/Shanghai",
    "description": "",
    "status": "approved",
    "rating_sum": 0,
    "rating_count": 0,
}

Query = tuple[float, float, str | None]  # lat, lng, category (None: every category)
Result = tuple[int, list[tuple[int, float]]]  # (total, [(shop_id, distance)...])


def machine_facts(db_url: str) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    return [
        f"command: {shlex.join([sys.executable, *sys.argv])}",
        f"nproc: {len(os.sched_getaffinity(0))} (cpu_count {os.cpu_count()}), cpu: {cpu}",
        f"python {platform.python_version()}, tortoise-orm {tortoise.__version__}, "
        f"sqlite {sqlite3.sqlite_version}, {platform.platform()}",
        f"db: {db_url}",
        "load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    ]


def extent_deg() -> tuple[float, float]:
    """Half side of the area in degrees of lat and lng."""
    dlat = math.degrees(HALF_SIDE_M / search.EARTH_RADIUS_M)
    return dlat, dlat / math.cos(math.radians(CENTRE[0]))


async def ensure_postgres_db(db_url: str) -> None:
    import asyncpg

    url = urlparse(db_url)
    name = url.path.lstrip("/")
    conn = await asyncpg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    finally:
        await conn.close()


def is_sqlite(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "sqlite"


async def build(conn: BaseDBAsyncClient, n: int, seed: int) -> None:
    """Fill shops and shop_geo with n approved shops (ids 1..n), unless already there."""
    (have,) = (await conn.execute_query("SELECT COUNT(*) FROM shops"))[1][0]
    (geo,) = (await conn.execute_query("SELECT COUNT(*) FROM shop_geo"))[1][0]
    if have == n and geo == n:
        _, sample = await conn.execute_query(
            "SELECT band, lat FROM shop_geo ORDER BY shop_id LIMIT 1000"
        )
        if all(band == search.band_of(lat) for band, lat in sample):
            print(f"reusing {n:,} shops already in the database")
            return
    print(f"building {n:,} shops (found {have:,} shops, {geo:,} indexed) ...", flush=True)
    t0 = time.perf_counter()
    for table in ("shop_geo", "shops", "users"):
        await conn.execute_script(f"DELETE FROM {table}")
    p = search._placeholder(conn)
    await User.create(id=1, first_name="bench", is_merchant=True)  # the owner of them all
    shop_sql = (
        "INSERT INTO shops (id, owner_id, name, category, lat, lng, address, phone, hours, "
        "timezone, description, status, rating_sum, rating_count, created_at, updated_at) "
        f"VALUES ({p(1)}, 1, {p(2)}, {p(3)}, {p(4)}, {p(5)}, '', '', '{{}}', 'Asia/Shanghai', "
        "'', 'approved', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    geo_sql = (
        "INSERT INTO shop_geo (shop_id, category, band, lat, lng) "
        f"VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)})"
    )
    if is_sqlite(conn):
        await conn.execute_script("PRAGMA cache_size = -262144")  # 256 MiB while loading
    rng = random.Random(seed)
    dlat, dlng = extent_deg()
    lat0, lng0 = CENTRE
    now = datetime.now(UTC)
    for start in range(1, n + 1, BATCH):
        shops, geos = [], []
        for i in range(start, min(n, start + BATCH - 1) + 1):
            lat = lat0 + rng.uniform(-dlat, dlat)
            lng = lng0 + rng.uniform(-dlng, dlng)
            cat = CATEGORIES[rng.randrange(len(CATEGORIES))]
            shops.append((i, f"shop {i}", cat, lat, lng))
            geos.append((i, cat, search.band_of(lat), lat, lng))
        if is_sqlite(conn):
            await conn.execute_many(shop_sql, shops)
            await conn.execute_many(geo_sql, geos)
        else:  # COPY: ~10x faster than executemany on PostgreSQL
            async with conn.acquire_connection() as pg:
                await pg.copy_records_to_table(
                    "shops",
                    columns=[*SHOP_COLUMNS, *SHOP_CONSTANTS, "created_at", "updated_at"],
                    records=[(*r, *SHOP_CONSTANTS.values(), now, now) for r in shops],
                )
                await pg.copy_records_to_table(
                    "shop_geo", columns=["shop_id", "category", "band", "lat", "lng"], records=geos
                )
    print(f"built in {time.perf_counter() - t0:.1f} s", flush=True)


async def analyze(conn: BaseDBAsyncClient) -> None:
    t0 = time.perf_counter()
    if is_sqlite(conn):
        await conn.execute_script("ANALYZE")
    else:  # VACUUM also sets the visibility map that index-only scans need
        await conn.execute_script("VACUUM ANALYZE shops")
        await conn.execute_script("VACUUM ANALYZE shop_geo")
    print(f"ANALYZE took {time.perf_counter() - t0:.1f} s")


def make_queries(n: int, seed: int, *, all_categories: bool = False) -> list[Query]:
    rng = random.Random(seed + 1)
    dlat, dlng = extent_deg()
    return [
        (
            CENTRE[0] + rng.uniform(-dlat, dlat),
            CENTRE[1] + rng.uniform(-dlng, dlng),
            None if all_categories else CATEGORIES[rng.randrange(len(CATEGORIES))],
        )
        for _ in range(n)
    ]


async def indexed(q: Query, radius_m: float, limit: int) -> Result:
    page = await search.nearby(q[0], q[1], radius_m, q[2], limit=limit)
    return page.total, [(h.shop_id, h.distance_m or 0.0) for h in page.hits]


async def baseline(conn: BaseDBAsyncClient, q: Query, radius_m: float, limit: int) -> Result:
    """Full scan of the category (or of every shop) in the shops table, distances in Python."""
    p = search._placeholder(conn)
    if q[2] is None:
        sql, params = "SELECT id, lat, lng FROM shops WHERE status = 'approved'", []
    else:
        sql = f"SELECT id, lat, lng FROM shops WHERE category = {p(1)} AND status = 'approved'"
        params = [q[2]]
    _, rows = await conn.execute_query(sql, params)
    lat, lng = q[0], q[1]
    ranked = sorted(
        (d, i) for i, la, ln in rows if (d := search.haversine_m(lat, lng, la, ln)) <= radius_m
    )
    return len(ranked), [(i, d) for d, i in ranked[:limit]]


async def orm_variant(q: Query, radius_m: float, limit: int) -> Result:
    """`nearby` with the candidate fetch through Tortoise `values_list` instead of raw SQL."""
    w = search._window(q[0], q[1], radius_m)
    qs = ShopGeo.filter(
        category=q[2],
        band__in=list(range(w.band_lo, w.band_hi + 1)),
        lat__gte=w.lat_lo,
        lat__lte=w.lat_hi,
    )
    if w.lng_range is not None:
        qs = qs.filter(lng__gte=w.lng_range[0], lng__lte=w.lng_range[1])
    rows = await qs.values_list("shop_id", "lat", "lng")
    ranked = search._rank(q[0], q[1], radius_m, rows)
    return len(ranked), [(i, d) for d, i in ranked[:limit]]


CPU_MS: dict[str, list[float]] = {}  # last run's per-query CPU time of this process, by name


async def timed(
    fn: Callable[[Query], Awaitable[Result]], queries: Sequence[Query], name: str = ""
) -> tuple[list[float], list[Result]]:
    """Wall-clock ms per query (and, in CPU_MS[name], CPU ms of all this process's threads:
    unlike wall time it does not grow when other processes take the CPU)."""
    times, cpu, results = [], [], []
    for q in queries:
        c0 = time.process_time()
        t0 = time.perf_counter()
        r = await fn(q)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        results.append(r)
    CPU_MS[name] = cpu
    return times, results


def summary(name: str, ms: list[float]) -> str:
    qs = statistics.quantiles(ms, n=100, method="inclusive")
    return (
        f"{name:<30} n={len(ms):>5}  p50={qs[49]:8.3f}  p95={qs[94]:8.3f}  "
        f"p99={qs[98]:8.3f}  mean={statistics.fmean(ms):8.3f}  ms"
    )


async def anatomy(conn: BaseDBAsyncClient, db_url: str, queries: Sequence[Query], r: float) -> None:
    """Median cost of each step of one `nearby` call."""
    steps: dict[str, list[float]] = {"window + SQL text": [], "execute_query (await)": []}
    steps["haversine + sort + page"] = []
    raw: list[float] = []
    sync = None
    if is_sqlite(conn):
        sync = sqlite3.connect(db_url.removeprefix("sqlite://").split("?")[0])
    p = search._placeholder(conn)
    for lat, lng, cat in queries:
        t0 = time.perf_counter()
        w = search._window(lat, lng, r)
        bands = list(range(w.band_lo, w.band_hi + 1))
        params: list[Any] = [cat, *bands]
        assert w.lng_range is not None
        params += [*w.lng_range, w.lat_lo, w.lat_hi]
        marks = ", ".join(p(i + 2) for i in range(len(bands)))
        k = len(bands) + 2
        sql = (
            f"SELECT shop_id, lat, lng FROM shop_geo WHERE category = {p(1)} AND band IN "
            f"({marks}) AND lng BETWEEN {p(k)} AND {p(k + 1)} AND lat BETWEEN {p(k + 2)} "
            f"AND {p(k + 3)}"
        )
        t1 = time.perf_counter()
        _, rows = await conn.execute_query(sql, params)
        t2 = time.perf_counter()
        ranked = search._rank(lat, lng, r, rows)
        [search.NearbyHit(i, d) for d, i in ranked[:10]]
        t3 = time.perf_counter()
        steps["window + SQL text"].append((t1 - t0) * 1000)
        steps["execute_query (await)"].append((t2 - t1) * 1000)
        steps["haversine + sort + page"].append((t3 - t2) * 1000)
        if sync is not None:
            t4 = time.perf_counter()
            sync.execute(sql, params).fetchall()
            raw.append((time.perf_counter() - t4) * 1000)
    print("anatomy of one nearby() call (median ms):")
    for name, ms in steps.items():
        print(f"  {name:<28} {statistics.median(ms):.4f}")
    if raw:
        print(f"  {'same SQL, sync sqlite3':<28} {statistics.median(raw):.4f}  (no thread hop)")
        plan = sync.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()  # type: ignore[union-attr]
        print("  plan: " + " | ".join(row[-1] for row in plan))
        sync.close()
    else:
        _, plan = await conn.execute_query("EXPLAIN " + sql, params)
        print("  plan: " + " | ".join(row[0].strip() for row in plan))


async def main(args: argparse.Namespace) -> None:
    if args.all_categories and (args.anatomy or args.orm):
        sys.exit("--anatomy and --orm time one-category queries; drop --all-categories")
    print("\n".join(machine_facts(args.db)))
    if args.db.startswith(("postgres://", "postgresql://", "asyncpg://")):
        await ensure_postgres_db(args.db)
    await start_db(args.db)
    conn = get_connection("default")
    if not is_sqlite(conn):
        _, rows = await conn.execute_query("SHOW server_version")
        print(f"postgresql {rows[0][0]}")
    await build(conn, args.shops, args.seed)
    await analyze(conn)
    # Re-open so the timed run starts from a fresh connection, as the bot does.
    await stop_db()
    await start_db(args.db)
    conn = get_connection("default")

    r, limit = args.radius, args.limit
    every = args.all_categories
    queries = make_queries(args.queries, args.seed, all_categories=every)
    warm = make_queries(50, args.seed + 7, all_categories=every)
    kind = "every category" if every else "one random category"
    print(
        f"{len(queries)} queries: radius {r:g} m, {kind}, top {limit}, centres "
        f"uniform over the area; 50 warm-up queries first (not timed)"
    )
    await timed(lambda q: indexed(q, r, limit), warm)
    idx_ms, idx_res = await timed(lambda q: indexed(q, r, limit), queries, "indexed")

    nb = min(args.baseline_queries, len(queries))
    await timed(lambda q: baseline(conn, q, r, limit), warm[:3])
    base_ms, base_res = await timed(lambda q: baseline(conn, q, r, limit), queries[:nb])
    mismatches = sum(a != b for a, b in zip(idx_res, base_res, strict=False))

    cand = [len(await search._candidates(lat, lng, r, cat)) for lat, lng, cat in queries]
    totals = [t for t, _ in idx_res]

    print(summary("indexed nearby()", idx_ms))
    print(summary("  same, CPU time (this process)", CPU_MS["indexed"]))
    print(summary("full-scan baseline", base_ms))
    if nb < len(queries):
        print(f"  (baseline timed on the first {nb} of the {len(queries)} queries: it is slow)")
    qs_i = statistics.quantiles(idx_ms, n=100, method="inclusive")
    qs_b = statistics.quantiles(base_ms, n=100, method="inclusive")
    print(f"speed-up (baseline p50 / indexed p50): {qs_b[49] / qs_i[49]:.0f}x")
    print(
        f"candidate rows examined per query: mean {statistics.fmean(cand):.1f} "
        f"(max {max(cand)}); hits within radius: mean {statistics.fmean(totals):.1f}; "
        f"baseline rows scanned per query: ~{args.shops // (1 if every else len(CATEGORIES)):,}"
    )
    print(
        f"results agree on {nb - mismatches}/{nb} queries timed in both "
        f"(same total, ids, order and distances)"
    )
    if args.orm:
        await timed(lambda q: orm_variant(q, r, limit), warm)
        orm_ms, orm_res = await timed(lambda q: orm_variant(q, r, limit), queries)
        print(summary("variant: Tortoise values_list", orm_ms))
        assert orm_res == idx_res, "ORM variant disagrees"
    if args.anatomy:
        await anatomy(conn, args.db, queries, r)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        await timed(lambda q: indexed(q, r, limit), queries)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue())
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    await stop_db()
    if mismatches:
        sys.exit(f"{mismatches} queries disagree")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shops", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--baseline-queries", type=int, default=100, help="how many to scan fully")
    ap.add_argument("--db", default="sqlite:///tmp/nearby.sqlite3")
    ap.add_argument("--radius", type=float, default=2000.0, help="metres")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orm", action="store_true", help="also time a values_list variant")
    ap.add_argument("--anatomy", action="store_true", help="time each step of a query")
    ap.add_argument("--profile", action="store_true", help="cProfile the indexed queries")
    ap.add_argument(
        "--all-categories",
        action="store_true",
        help="query every category at once (the first list 📍 Nearby shows)",
    )
    return ap.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
