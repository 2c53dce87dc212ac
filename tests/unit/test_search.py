"""The nearby and by-name shop search, checked against brute force on SQLite and PostgreSQL.

Both databases come from the shared `database` fixture (tests/conftest.py); on PostgreSQL each
test gets its own randomly named database on the TEST_POSTGRES_URL server, dropped after it.
"""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.contrib.test import tortoise_test_context
from tortoise.transactions import in_transaction

from bot.models import Shop, ShopGeo, ShopStatus, User
from bot.services.search import (
    BAND_DEG,
    EARTH_RADIUS_M,
    InvalidSearch,
    NearbyHit,
    NearbyPage,
    band_of,
    haversine_m,
    index_shop,
    nearby,
    rebuild_index,
    search_by_name,
    unindex_shop,
)
from tests.conftest import POSTGRES_URL

SHANGHAI = (31.23, 121.47)
CATEGORIES = ("food", "hair", "laundry", "repair", "pharmacy", "grocery", "cafe", "fitness")


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[None]:
    """A fresh schema with the owner every shop needs (user 1): in-memory SQLite, or a new
    randomly named PostgreSQL database (`{}`) on the server of TEST_POSTGRES_URL."""
    url = (
        "sqlite://:memory:"
        if database == "sqlite"
        else urlsplit(POSTGRES_URL)._replace(path="/search_test_{}").geturl()
    )
    # Tortoise caches each model's INSERT/UPDATE SQL under (connection name, table), not per
    # dialect: after a SQLite test a PostgreSQL one would reuse `?` placeholders.
    EXECUTOR_CACHE.clear()
    async with tortoise_test_context(["bot.models"], db_url=url) as ctx:
        conn = ctx.connections.get("default")
        try:
            await User.create(id=1, first_name="o")
            yield
        finally:
            if conn.capabilities.dialect != "sqlite":  # the test context does not drop it
                await conn.close()
                await conn.db_delete()


def shop(
    shop_id: int,
    lat: float,
    lng: float,
    category: str = "food",
    status: ShopStatus = ShopStatus.APPROVED,
    name: str | None = None,
) -> Shop:
    return Shop(
        id=shop_id,
        owner_id=1,
        name=name or f"shop {shop_id}",
        category=category,
        lat=lat,
        lng=lng,
        status=status,
    )


async def add(*shops: Shop, index: bool = True) -> list[Shop]:
    """Insert shops (explicit ids) and, by default, pass each through index_shop; returns them
    as loaded back from the database, in the order given."""
    await Shop.bulk_create(shops)
    by_id = {s.id: s for s in await Shop.filter(id__in=[s.id for s in shops])}
    loaded = [by_id[s.id] for s in shops]
    if index:
        async with in_transaction():  # one commit, not thousands (PostgreSQL)
            for s in loaded:
                await index_shop(s)
    return loaded


def brute_force(
    shops: Sequence[Shop], lat: float, lng: float, radius_m: float, category: str | None = None
) -> list[tuple[float, int]]:
    """(distance, id) of every approved shop in range, by (distance, id): the reference."""
    return sorted(
        (d, s.id)
        for s in shops
        if s.status == ShopStatus.APPROVED
        and (category is None or s.category == category)
        and (d := haversine_m(lat, lng, s.lat, s.lng)) <= radius_m
    )


def as_pairs(page: NearbyPage) -> list[tuple[float | None, int]]:
    return [(h.distance_m, h.shop_id) for h in page.hits]


async def assert_matches_brute_force(
    shops: Sequence[Shop],
    lat: float,
    lng: float,
    radius_m: float,
    category: str | None = None,
    **page: Any,
) -> NearbyPage:
    expected = brute_force(shops, lat, lng, radius_m, category)
    got = await nearby(lat, lng, radius_m, category, **page)
    offset, limit = page.get("offset", 0), page.get("limit", 10)
    assert got.total == len(expected), (lat, lng, radius_m, category)
    assert as_pairs(got) == expected[offset : offset + limit], (lat, lng, radius_m, category)
    assert (got.offset, got.limit) == (offset, limit)
    return got


# --- pure helpers -----------------------------------------------------------------------------


def test_haversine_known_values() -> None:
    assert haversine_m(31.23, 121.47, 31.23, 121.47) == 0.0
    # One degree of a great circle is R * pi / 180.
    assert haversine_m(0, 0, 1, 0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)
    assert haversine_m(0, 179.5, 0, -179.5) == pytest.approx(haversine_m(0, 0, 0, 1), rel=1e-12)
    assert haversine_m(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_RADIUS_M, rel=1e-12)
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M, rel=1e-12)
    # Shanghai -> Beijing, ~1,067 km.
    assert haversine_m(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(1_067_000, rel=0.01)


def test_haversine_agrees_with_geopy_great_circle() -> None:
    from geopy.distance import great_circle

    rng = random.Random(7)
    for _ in range(200):
        a = (rng.uniform(-90, 90), rng.uniform(-180, 180))
        b = (rng.uniform(-90, 90), rng.uniform(-180, 180))
        same_sphere = great_circle(a, b, radius=EARTH_RADIUS_M / 1000).meters
        assert haversine_m(*a, *b) == pytest.approx(same_sphere, rel=1e-9, abs=1e-6)
        # geopy's default radius is the same mean radius rounded to 6371.009 km (+0.03 ppm).
        assert haversine_m(*a, *b) == pytest.approx(great_circle(a, b).meters, rel=1e-7)


def test_band_of() -> None:
    assert band_of(0.0) == 0
    assert band_of(BAND_DEG * 0.5) == 0
    assert band_of(-BAND_DEG * 0.5) == -1
    assert band_of(90.0) == round(90 / BAND_DEG)
    lats = sorted(random.Random(1).uniform(-90, 90) for _ in range(1000))
    bands = [band_of(x) for x in lats]
    assert bands == sorted(bands)


def test_page_flags() -> None:
    hits = [NearbyHit(1, 1.0), NearbyHit(2, 2.0)]
    assert NearbyPage(hits, 5, 0, 2).has_next and not NearbyPage(hits, 5, 0, 2).has_prev
    assert NearbyPage(hits, 4, 2, 2).has_prev and not NearbyPage(hits, 4, 2, 2).has_next
    assert not NearbyPage([], 0, 0, 10).has_next


# --- nearby -----------------------------------------------------------------------------------


async def test_random_queries_equal_brute_force(db: None) -> None:
    rng = random.Random(20240611)
    half_lat = math.degrees(15_000 / EARTH_RADIUS_M)  # a 30 km x 30 km box
    half_lng = half_lat / math.cos(math.radians(SHANGHAI[0]))
    statuses = [ShopStatus.APPROVED] * 6 + [ShopStatus.PENDING, ShopStatus.REJECTED]
    shops = []
    for i in range(1, 3001):
        if i > 2900:  # a hundred shops sharing another's spot: ties must be broken by id
            twin = shops[rng.randrange(len(shops))]
            lat, lng = twin.lat, twin.lng
        else:
            lat = SHANGHAI[0] + rng.uniform(-half_lat, half_lat)
            lng = SHANGHAI[1] + rng.uniform(-half_lng, half_lng)
        shops.append(shop(i, lat, lng, rng.choice(CATEGORIES), rng.choice(statuses)))
    await add(*shops)
    approved = {s.id for s in shops if s.status == ShopStatus.APPROVED}
    assert await ShopGeo.all().count() == len(approved)

    for _ in range(100):
        lat = SHANGHAI[0] + rng.uniform(-half_lat, half_lat) * 1.1
        lng = SHANGHAI[1] + rng.uniform(-half_lng, half_lng) * 1.1
        radius = rng.uniform(200, 10_000)
        category = rng.choice((None, *CATEGORIES))
        total = len(brute_force(shops, lat, lng, radius, category))
        offset = rng.choice((0, 0, rng.randrange(total + 3)))
        limit = rng.choice((1, 5, 10, 20))
        page = await assert_matches_brute_force(
            shops, lat, lng, radius, category, limit=limit, offset=offset
        )
        assert {h.shop_id for h in page.hits} <= approved
        assert page.has_prev == (offset > 0)
        assert page.has_next == (offset + limit < total)


async def test_pending_and_rejected_never_appear(db: None) -> None:
    here = SHANGHAI
    pending, rejected, approved = await add(
        shop(1, *here, status=ShopStatus.PENDING),
        shop(2, *here, status=ShopStatus.REJECTED),
        shop(3, *here),
    )
    assert [h.shop_id for h in (await nearby(*here, 1000)).hits] == [3]
    assert await ShopGeo.filter(shop_id__in=[1, 2]).count() == 0

    pending.status = ShopStatus.APPROVED
    await pending.save()
    await index_shop(pending)
    assert [h.shop_id for h in (await nearby(*here, 1000)).hits] == [1, 3]

    approved.status = ShopStatus.REJECTED  # index_shop on a shop no longer approved drops it
    await approved.save()
    await index_shop(approved)
    assert [h.shop_id for h in (await nearby(*here, 1000, "food")).hits] == [1]
    assert rejected.status == ShopStatus.REJECTED


async def test_unindex_and_reindex_after_move(db: None) -> None:
    (s,) = await add(shop(1, *SHANGHAI))
    assert (await nearby(*SHANGHAI, 100)).total == 1

    s.lat, s.lng, s.category = 31.30, 121.50, "cafe"  # moved and changed category
    await s.save()
    await index_shop(s)
    assert await ShopGeo.all().count() == 1
    geo = await ShopGeo.get(shop_id=1)
    assert (geo.lat, geo.lng, geo.category, geo.band) == (31.30, 121.50, "cafe", band_of(31.30))
    assert (await nearby(*SHANGHAI, 100)).total == 0
    assert [h.shop_id for h in (await nearby(31.30, 121.50, 100, "cafe")).hits] == [1]
    assert (await nearby(31.30, 121.50, 100, "food")).total == 0

    await unindex_shop(1)
    assert (await nearby(31.30, 121.50, 100)).total == 0
    await unindex_shop(1)  # idempotent
    await unindex_shop(999)


async def test_rebuild_index(db: None) -> None:
    shops = await add(
        shop(1, *SHANGHAI),
        shop(2, 31.231, 121.471, "cafe"),
        shop(3, 31.232, 121.472, status=ShopStatus.PENDING),
        index=False,
    )
    assert (await nearby(*SHANGHAI, 1000)).total == 0
    await ShopGeo.create(shop_id=3, category="food", band=0, lat=0.0, lng=0.0)  # stale row
    assert await rebuild_index(batch_size=2) == 2
    await assert_matches_brute_force(shops, *SHANGHAI, 1000)
    assert await ShopGeo.filter(shop_id=3).count() == 0


async def test_shop_exactly_at_query_point(db: None) -> None:
    shops = await add(shop(2, *SHANGHAI), shop(1, 31.2301, 121.47), shop(3, *SHANGHAI))
    page = await assert_matches_brute_force(shops, *SHANGHAI, 50)
    assert page.hits[:2] == [NearbyHit(2, 0.0), NearbyHit(3, 0.0)]
    assert page.hits[2].shop_id == 1


async def test_radius_crossing_band_boundaries(db: None) -> None:
    edge = 3123 * BAND_DEG  # a band boundary near Shanghai
    lng = 121.47
    shops = []
    for i, dlat in enumerate(
        (-3e-3, -1e-3, -1e-6, -1e-9, 0.0, 1e-9, 1e-6, 1e-3, 3e-3, 0.011, -0.011), start=1
    ):
        shops.append(shop(i, edge + dlat, lng + dlat / 2))
    await add(*shops)
    assert len({band_of(s.lat) for s in shops}) >= 4
    for qlat in (edge, edge - 1e-12, edge + 1e-12, edge - 0.004, edge + 0.0049):
        for radius in (0.5, 50, 150, 400, 1300, 3000):
            await assert_matches_brute_force(shops, qlat, lng, radius, limit=20)


async def test_exact_boundary_distance_is_included(db: None) -> None:
    shops = await add(shop(1, 31.24, 121.48), shop(2, 31.2401, 121.48))
    d = haversine_m(*SHANGHAI, 31.24, 121.48)
    page = await nearby(*SHANGHAI, d)
    assert [h.shop_id for h in page.hits] == [1]
    assert page.hits[0].distance_m == d
    await assert_matches_brute_force(shops, *SHANGHAI, math.nextafter(d, 0))


def destination(lat: float, lng: float, bearing_deg: float, dist_m: float) -> tuple[float, float]:
    """The point dist_m from (lat, lng) along the initial bearing, on the same sphere."""
    p1, l1, th = math.radians(lat), math.radians(lng), math.radians(bearing_deg)
    d = dist_m / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(th))
    l2 = l1 + math.atan2(
        math.sin(th) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180


async def test_shops_on_the_circle_are_decided_exactly(db: None) -> None:
    """Shops on and a few ulps either side of the circle, including its northernmost,
    southernmost, easternmost and westernmost points, where the search box is tightest."""
    cases = [(31.23, 121.47), (60.0, 10.0), (-75.0, -60.0), (0.0, 0.0), (84.0, 179.5)]
    radii = (300.0, 2000.0, 9000.0)
    shops: list[Shop] = []
    for k, ((lat, lng), radius) in enumerate((c, r) for c in cases for r in radii):
        delta = radius / EARTH_RADIUS_M
        # Where the circle reaches furthest east and west.
        t_lat = math.degrees(math.asin(math.sin(math.radians(lat)) / math.cos(delta)))
        t_dlng = math.degrees(math.asin(math.sin(delta) / math.cos(math.radians(lat))))
        points = [destination(lat, lng, b * 7.5, radius) for b in range(48)]
        points += [(t_lat, lng + t_dlng), (t_lat, lng - t_dlng)]
        points += [(lat + math.degrees(delta), lng), (lat - math.degrees(delta), lng)]
        for plat, plng in points:
            for la in (math.nextafter(plat, -90), plat, math.nextafter(plat, 90)):
                for ln in (math.nextafter(plng, -180), plng, math.nextafter(plng, 180)):
                    if -180 <= ln <= 180:
                        shops.append(shop(len(shops) + 1, la, ln, f"ring{k}"))
    await add(*shops, index=False)
    await rebuild_index()
    k = 0
    for lat, lng in cases:
        for radius in radii:
            got = await assert_matches_brute_force(shops, lat, lng, radius, f"ring{k}", limit=1)
            assert got.total > 0
            k += 1


async def test_near_the_antimeridian(db: None) -> None:
    shops = await add(
        shop(1, 10.0, 179.99),
        shop(2, 10.0, -179.99),
        shop(3, 10.0, 180.0),
        shop(4, 10.0, -180.0),
        shop(5, 10.01, 179.96),
        shop(6, 10.0, -179.9),
        shop(7, 10.0, 170.0),
    )
    page = await assert_matches_brute_force(shops, 10.0, 179.995, 5000)
    assert {h.shop_id for h in page.hits} == {1, 2, 3, 4, 5}
    for lat, lng in ((10.0, 180.0), (10.0, -180.0), (10.0, -179.995), (10.005, 179.9999)):
        for radius in (100, 2000, 12_000, 2_000_000):
            await assert_matches_brute_force(shops, lat, lng, radius)


async def test_near_the_poles(db: None) -> None:
    shops = await add(
        shop(1, 89.995, 120.0),
        shop(2, 89.98, -170.0),
        shop(3, 90.0, 0.0),
        shop(4, 89.9, 45.0),
        shop(5, 89.95, -60.0),
        shop(6, -89.99, 10.0),
        shop(7, -90.0, 0.0),
        shop(8, -89.95, -100.0),
    )
    for lat, lng in ((89.99, 0.0), (90.0, 0.0), (89.96, 179.9), (89.9, -45.0)):
        for radius in (500, 2_000, 6_000, 15_000, 30_000):
            await assert_matches_brute_force(shops, lat, lng, radius)
    page = await assert_matches_brute_force(shops, 90.0, 0.0, 3000)
    assert [h.shop_id for h in page.hits] == [3, 1, 2]
    for lat, lng in ((-90.0, 0.0), (-89.98, -179.0), (-89.9, 100.0)):
        for radius in (500, 2_000, 12_000):
            await assert_matches_brute_force(shops, lat, lng, radius)


async def test_very_large_radius_scans_bands_by_range(db: None) -> None:
    rng = random.Random(5)
    shops = [shop(i, rng.uniform(-80, 80), rng.uniform(-180, 180)) for i in range(1, 301)]
    await add(*shops)
    for radius in (900_000, 3_000_000, 30_000_000):  # > 512 bands: `band BETWEEN`
        for _ in range(5):
            lat, lng = rng.uniform(-90, 90), rng.uniform(-180, 180)
            await assert_matches_brute_force(shops, lat, lng, radius, limit=400)
    assert (await nearby(0, 0, 30_000_000, limit=1)).total == 300


async def test_antipodal_points_where_rounding_exceeds_one(db: None) -> None:
    x = 1.1559840362415628  # sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) rounds to 1 + 2⁻⁵²
    shops = await add(shop(1, x, 180.0), shop(2, 0.0, 0.0), shop(3, -x, 0.0))
    page = await assert_matches_brute_force(shops, -x, 0.0, 30_000_000)
    assert page.hits[-1] == NearbyHit(1, math.pi * EARTH_RADIUS_M)


async def test_category_filter_and_empty_results(db: None) -> None:
    shops = await add(shop(1, *SHANGHAI, "food"), shop(2, 31.2301, 121.4701, "cafe"))
    await assert_matches_brute_force(shops, *SHANGHAI, 1000, "cafe")
    assert (await nearby(*SHANGHAI, 1000, "nonexistent")).total == 0
    page = await nearby(0.0, 0.0, 1000)
    assert (page.hits, page.total, page.has_next, page.has_prev) == ([], 0, False, False)
    beyond = await nearby(*SHANGHAI, 1000, offset=5)
    assert (beyond.hits, beyond.total, beyond.has_prev) == ([], 2, True)


@pytest.mark.parametrize(
    ("lat", "lng", "radius", "page"),
    [
        (90.0001, 0.0, 1000, {}),
        (-91, 0.0, 1000, {}),
        (0.0, 180.5, 1000, {}),
        (0.0, -181, 1000, {}),
        (math.nan, 0.0, 1000, {}),
        (0.0, math.nan, 1000, {}),
        (0.0, 0.0, 0, {}),
        (0.0, 0.0, -5, {}),
        (0.0, 0.0, math.nan, {}),
        (0.0, 0.0, math.inf, {}),
        (0.0, 0.0, 1000, {"limit": 0}),
        (0.0, 0.0, 1000, {"offset": -1}),
    ],
)
async def test_invalid_input_raises(
    lat: float, lng: float, radius: float, page: dict[str, int]
) -> None:
    # Validation happens before any database access (no database here).
    with pytest.raises(InvalidSearch):
        await nearby(lat, lng, radius, **page)
    assert issubclass(InvalidSearch, ValueError)


# --- search_by_name ---------------------------------------------------------------------------


async def test_search_by_name(db: None) -> None:
    await add(
        shop(1, 31.30, 121.50, name="Noodle House"),
        shop(2, 31.2301, 121.4701, name="Lao Wang Noodles"),
        shop(3, 31.24, 121.48, "cafe", name="Noodle Bar"),
        shop(4, *SHANGHAI, name="Noodle Pending", status=ShopStatus.PENDING),
        shop(5, *SHANGHAI, name="Bubble Laundry", category="laundry"),
        shop(6, 31.25, 121.49, name="100% Tea"),
        shop(7, 31.30, 121.50, name="Noodle House"),
    )
    by_name = await search_by_name("noodle")
    assert [h.shop_id for h in by_name.hits] == [2, 3, 1, 7]
    assert all(h.distance_m is None for h in by_name.hits)
    assert by_name.total == 4

    near = await search_by_name("NOODLE", lat=SHANGHAI[0], lng=SHANGHAI[1])
    assert [h.shop_id for h in near.hits] == [2, 3, 1, 7]
    expected = sorted(
        (haversine_m(*SHANGHAI, lat, lng), i)
        for i, lat, lng in ((1, 31.30, 121.50), (2, 31.2301, 121.4701), (3, 31.24, 121.48))
    )
    assert [h.distance_m for h in near.hits[:3]] == [d for d, _ in expected]

    far = await search_by_name("noodle", lat=31.30, lng=121.50, limit=2, offset=1)
    assert [h.shop_id for h in far.hits] == [7, 3]
    assert (far.total, far.has_prev, far.has_next) == (4, True, True)

    page2 = await search_by_name("  noodle ", limit=3, offset=3)
    assert ([h.shop_id for h in page2.hits], page2.has_next) == ([7], False)

    assert [h.shop_id for h in (await search_by_name("%")).hits] == [6]  # LIKE wildcards escaped
    assert (await search_by_name("_")).total == 0
    assert (await search_by_name("pending")).total == 0
    assert (await search_by_name("sushi")).total == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"query": ""},
        {"query": "   "},
        {"query": "a", "lat": 31.0},
        {"query": "a", "lng": 121.0},
        {"query": "a", "lat": 95.0, "lng": 121.0},
        {"query": "a", "limit": 0},
        {"query": "a", "offset": -1},
    ],
)
async def test_search_by_name_invalid_input(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidSearch):
        await search_by_name(**kwargs)
