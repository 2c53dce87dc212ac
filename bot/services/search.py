"""Nearby-shop search over the `ShopGeo` band index, and search by shop name.

Why a latitude-band index. A radius query is a 2-D box query. The alternatives:

* a plain (category, lat, lng) B-tree index can seek on one range only (lat); every row in the
  whole latitude strip across the city is then read and its lng checked: O(strip), not O(box);
* SQLite R*Tree / PostGIS / Redis GEOSEARCH are true 2-D indexes, but need an extension (or
  another service to keep in sync), differently on each database;
* geohash prefixes need 9 cells per query and give ragged, latitude-dependent boxes.

`ShopGeo` stores band = floor(lat / BAND_DEG) next to lat and lng, with covering B-tree indexes
(category, band, lng, lat, shop_id) and (band, lng, lat, shop_id). A query becomes
`band IN (the few bands the circle touches) AND lng BETWEEN ...`: one short 1-D range scan per
band, answered from the index alone (no table rows, no ORM objects), on plain B-trees that
SQLite and PostgreSQL both have. The box is slightly larger than the circle; the exact
haversine filter in Python decides, so results equal a brute-force scan (same set, same order).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot.models.shops import Shop, ShopGeo, ShopStatus

__all__ = [
    "BAND_DEG",
    "EARTH_RADIUS_M",
    "InvalidSearch",
    "NearbyHit",
    "NearbyPage",
    "band_of",
    "haversine_m",
    "index_shop",
    "nearby",
    "rebuild_index",
    "search_by_name",
    "unindex_shop",
]

# 0.01° of latitude ≈ 1.11 km: a 2 km circle touches 4-5 bands, a 10 km one about 19. Thinner
# bands mean more seeks, thicker ones more index entries scanned and dropped by the lat
# filter. Changing it changes what `band` means: call `rebuild_index()` afterwards.
BAND_DEG = 0.01
# The IUGG mean Earth radius; geopy's great_circle uses it rounded to 6371.009 km (+0.03 ppm).
EARTH_RADIUS_M = 6371008.8

_DIAMETER_M = 2 * EARTH_RADIUS_M
_RAD = math.pi / 180  # exactly the factor math.radians multiplies by
# The box is widened by this much (relative, plus ~1 cm absolute) so rounding never loses a hit.
_REL_PAD = 1e-6
_ABS_PAD_DEG = 1e-7
# Beyond this many bands (radius above ~280 km) one `band BETWEEN` scan replaces the IN list.
_MAX_IN_BANDS = 512


class InvalidSearch(ValueError):
    """The search parameters are out of range (coordinates, radius, page, empty name)."""


@dataclass(frozen=True)
class NearbyHit:
    """One shop found; `distance_m` is None for a name search without a reference point."""

    shop_id: int
    distance_m: float | None


@dataclass(frozen=True)
class NearbyPage:
    """One page of hits, plus how many hits there are in all."""

    hits: list[NearbyHit]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.hits) < self.total

    @property
    def has_prev(self) -> bool:
        return self.offset > 0


def band_of(lat: float) -> int:
    """The latitude band a latitude falls in (monotonic in lat)."""
    return math.floor(lat / BAND_DEG)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres on a sphere of radius EARTH_RADIUS_M."""
    # Keep in step with the loop in `_rank`: both must round identically.
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    s = math.sin((p2 - p1) / 2)
    t = math.sin((math.radians(lng2) - math.radians(lng1)) / 2)
    a = s * s + math.cos(p1) * math.cos(p2) * (t * t)
    return _DIAMETER_M * math.asin(min(1.0, math.sqrt(a)))


async def index_shop(shop: Shop) -> None:
    """Put the shop's current category and position in the index (upsert), or take it out
    if the shop is not approved: the index holds approved shops only."""
    if shop.status != ShopStatus.APPROVED:
        await unindex_shop(shop.id)
        return
    row = ShopGeo(
        shop_id=shop.id, category=shop.category, band=band_of(shop.lat), lat=shop.lat, lng=shop.lng
    )
    await ShopGeo.bulk_create(
        [row], on_conflict=["shop_id"], update_fields=["category", "band", "lat", "lng"]
    )


async def unindex_shop(shop_id: int) -> None:
    """Take a shop out of the index (rejected, suspended, deleted); no-op if absent."""
    await ShopGeo.filter(shop_id=shop_id).delete()


async def rebuild_index(batch_size: int = 5000) -> int:
    """Rebuild the whole index from the approved shops (after changing BAND_DEG, or as a
    repair); returns how many shops it holds."""
    async with in_transaction(ShopGeo._meta.default_connection):
        rows = await Shop.filter(status=ShopStatus.APPROVED).values_list(
            "id", "category", "lat", "lng"
        )
        await ShopGeo.all().delete()
        await ShopGeo.bulk_create(
            [
                ShopGeo(shop_id=i, category=c, band=band_of(lat), lat=lat, lng=lng)
                for i, c, lat, lng in rows
            ],
            batch_size=batch_size,
        )
    return len(rows)


@dataclass(frozen=True, slots=True)
class _Window:
    """A conservative box around the circle: bands, lat range, and lng range (None = all)."""

    band_lo: int
    band_hi: int
    lat_lo: float
    lat_hi: float
    lng_range: tuple[float, float] | None


def _check_point(lat: float, lng: float) -> None:
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
        raise InvalidSearch(f"coordinates out of range: {lat!r}, {lng!r}")


def _check_page(limit: int, offset: int) -> None:
    if limit < 1 or offset < 0:
        raise InvalidSearch(f"bad page: limit={limit!r}, offset={offset!r}")


def _window(lat: float, lng: float, radius_m: float) -> _Window:
    delta = radius_m / EARTH_RADIUS_M  # angular radius, radians
    dlat = math.degrees(delta) * (1 + _REL_PAD) + _ABS_PAD_DEG
    lat_lo = max(-90.0, lat - dlat)
    lat_hi = min(90.0, lat + dlat)
    lng_range = None
    if lat_lo > -90.0 and lat_hi < 90.0:  # no pole inside: the lng extent is bounded
        # Widest longitude offset of a spherical cap of angular radius delta at latitude lat.
        s = math.sin(delta) / math.cos(math.radians(lat))
        if s < 1.0:
            dlng = math.degrees(math.asin(s)) * (1 + _REL_PAD) + _ABS_PAD_DEG
            if lng - dlng >= -180.0 and lng + dlng <= 180.0:  # else it wraps: scan all lng
                lng_range = (lng - dlng, lng + dlng)
    return _Window(band_of(lat_lo), band_of(lat_hi), lat_lo, lat_hi, lng_range)


_PLACEHOLDERS: dict[type[BaseDBAsyncClient], Callable[[int], str]] = {}


def _placeholder(conn: BaseDBAsyncClient) -> Callable[[int], str]:
    """The connection's bind-parameter syntax by 1-based position: `?` (SQLite), `$1` (asyncpg)."""
    cls = type(conn)
    if cls not in _PLACEHOLDERS:
        # The executor knows its driver's style (psycopg differs from asyncpg on PostgreSQL).
        ctx = conn.query_class.SQL_CONTEXT
        param = conn.executor_class.parameter
        marks = [""]

        def placeholder(i: int) -> str:
            while len(marks) <= i:
                marks.append(param(None, len(marks) - 1).get_sql(ctx))  # type: ignore[arg-type]
            return marks[i]

        _PLACEHOLDERS[cls] = placeholder
    return _PLACEHOLDERS[cls]


async def _candidates(
    lat: float, lng: float, radius_m: float, category: str | None
) -> Sequence[Sequence[Any]]:
    """(shop_id, lat, lng) of every indexed shop in the box around the circle."""
    w = _window(lat, lng, radius_m)
    conn = ShopGeo._meta.db
    ph = _placeholder(conn)
    where: list[str] = []
    params: list[Any] = []

    def bind(value: Any) -> str:
        params.append(value)
        return ph(len(params))

    if category is not None:
        where.append(f"category = {bind(category)}")
    nbands = w.band_hi - w.band_lo + 1
    if nbands <= _MAX_IN_BANDS:
        where.append(f"band IN ({', '.join(bind(b) for b in range(w.band_lo, w.band_hi + 1))})")
    else:
        where.append(f"band BETWEEN {bind(w.band_lo)} AND {bind(w.band_hi)}")
    if w.lng_range is not None:
        where.append(f"lng BETWEEN {bind(w.lng_range[0])} AND {bind(w.lng_range[1])}")
    where.append(f"lat BETWEEN {bind(w.lat_lo)} AND {bind(w.lat_hi)}")
    sql = f"SELECT shop_id, lat, lng FROM shop_geo WHERE {' AND '.join(where)}"
    _, rows = await conn.execute_query(sql, params)
    return rows


def _rank(
    lat: float, lng: float, radius_m: float, rows: Sequence[Sequence[Any]]
) -> list[tuple[float, int]]:
    """(distance, shop_id) of the rows within radius_m, nearest first (ties by id)."""
    # haversine_m inlined (same operations in the same order, so bit-identical results),
    # with math.radians(x) written as its definition x * (pi / 180): ~2x faster.
    sin, cos, asin, sqrt = math.sin, math.cos, math.asin, math.sqrt
    rad, diameter = _RAD, _DIAMETER_M
    p1 = lat * rad
    cos1 = cos(p1)
    l1 = lng * rad
    out: list[tuple[float, int]] = []
    append = out.append
    try:
        for shop_id, lat2, lng2 in rows:
            p2 = lat2 * rad
            s = sin((p2 - p1) / 2)
            t = sin((lng2 * rad - l1) / 2)
            d = diameter * asin(sqrt(s * s + cos1 * cos(p2) * (t * t)))
            if d <= radius_m:
                append((d, shop_id))
    except ValueError:  # a rounded above 1 (near-antipodal points): take the clamped path
        out = [(d, i) for i, la, ln in rows if (d := haversine_m(lat, lng, la, ln)) <= radius_m]
    out.sort()
    return out


async def nearby(
    lat: float,
    lng: float,
    radius_m: float,
    category: str | None = None,
    *,
    limit: int = 10,
    offset: int = 0,
) -> NearbyPage:
    """Approved shops (of `category`, or of any) within radius_m metres great-circle distance
    of (lat, lng), nearest first, ties by shop id; one page of them plus the total."""
    _check_point(lat, lng)
    if not (radius_m > 0 and math.isfinite(radius_m)):
        raise InvalidSearch(f"radius must be positive: {radius_m!r}")
    _check_page(limit, offset)
    ranked = _rank(lat, lng, radius_m, await _candidates(lat, lng, radius_m, category))
    hits = [NearbyHit(shop_id, d) for d, shop_id in ranked[offset : offset + limit]]
    return NearbyPage(hits, len(ranked), offset, limit)


async def search_by_name(
    query: str,
    *,
    lat: float | None = None,
    lng: float | None = None,
    limit: int = 10,
    offset: int = 0,
) -> NearbyPage:
    """Approved shops whose name contains `query` (case-insensitive): nearest first when a
    point is given (ties by id), else by name (ties by id, distance_m None)."""
    text = query.strip()
    if not text:
        raise InvalidSearch("empty name query")
    if (lat is None) != (lng is None):
        raise InvalidSearch("give both lat and lng, or neither")
    if lat is not None and lng is not None:
        _check_point(lat, lng)
    _check_page(limit, offset)
    matches = Shop.filter(status=ShopStatus.APPROVED, name__icontains=text)
    if lat is None or lng is None:
        total = await matches.count()
        ids = (
            await matches.order_by("name", "id")
            .offset(offset)
            .limit(limit)
            .values_list("id", flat=True)
        )
        return NearbyPage([NearbyHit(i, None) for i in ids], total, offset, limit)
    rows = await matches.values_list("id", "lat", "lng")
    ranked = sorted((haversine_m(lat, lng, la, ln), i) for i, la, ln in rows)
    hits = [NearbyHit(i, d) for d, i in ranked[offset : offset + limit]]
    return NearbyPage(hits, len(ranked), offset, limit)
