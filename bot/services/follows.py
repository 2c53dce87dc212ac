"""Follows: a shop followed from its page, or a kind of shop followed within a radius of a
place. Muting keeps a follow but stops pushes; a muted follow of a shop the user never followed
is how "no more offers from this shop" is remembered, so it excludes them from every audience
of that shop (customers included).

No Telegram here; refusals are FollowError with a `reason` code the handler translates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.clock import now
from bot.models import CustomerEvent, Follow, Shop, ShopStatus
from bot.services import customers
from bot.services.search import EARTH_RADIUS_M, haversine_m
from bot.services.staff import works_at

#: The radii a category follow offers, and the one suggested first.
FOLLOW_RADII_M = (1000, 2000, 5000)
DEFAULT_RADIUS_M = 2000
#: No follow reaches further: the bounding-box prefilter of `category_followers_near` uses it.
MAX_RADIUS_M = max(FOLLOW_RADII_M)


class FollowError(Exception):
    """A follow action refused: not_found (no such public shop), own_shop, bad_category,
    bad_radius, bad_place."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FollowView:
    """One follow as /following lists it."""

    id: int
    muted: bool
    shop_id: int | None = None
    shop_name: str = ""
    category: str | None = None
    lat: float | None = None
    lng: float | None = None
    radius_m: int | None = None


# ------------------------------------------------------------------------------ shops


async def follow_shop(user_id: int, shop_id: int) -> Follow:
    """Follow an approved shop (again): an existing follow, muted or not, becomes active. The
    shop's customer record of the person notes the follow in the same transaction."""
    if not await Shop.exists(id=shop_id, status=ShopStatus.APPROVED):
        raise FollowError("not_found")
    if await works_at(user_id, shop_id):
        raise FollowError("own_shop")
    async with in_transaction():
        follow = await _get_or_create(user_id, shop_id=shop_id)
        if follow.muted:
            await Follow.filter(id=follow.id).update(muted=False)
            follow.muted = False
        await customers.record_event(shop_id, user_id, CustomerEvent.FOLLOW, at=now())
    return follow


async def unfollow_shop(user_id: int, shop_id: int) -> bool:
    """Stop following; False if the user did not follow the shop."""
    return await Follow.filter(user_id=user_id, shop_id=shop_id).delete() > 0


async def mute_shop(user_id: int, shop_id: int) -> bool:
    """No more pushes from this shop, whatever brought them (a follow, being a customer).
    False when there is no such shop."""
    if not await Shop.exists(id=shop_id):
        return False
    follow = await _get_or_create(user_id, shop_id=shop_id, muted=True)
    if not follow.muted:
        await Follow.filter(id=follow.id).update(muted=True)
    return True


async def follow_of_shop(user_id: int, shop_id: int) -> Follow | None:
    return await Follow.get_or_none(user_id=user_id, shop_id=shop_id)


# --------------------------------------------------------------------------- categories


async def follow_category(
    user_id: int,
    category: str,
    lat: float,
    lng: float,
    radius_m: int,
    *,
    categories: tuple[str, ...],
) -> Follow:
    """Follow a kind of shop around a point; following it again moves the point and radius."""
    if category not in categories:
        raise FollowError("bad_category")
    if radius_m not in FOLLOW_RADII_M:
        raise FollowError("bad_radius")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise FollowError("bad_place")
    where = {"lat": lat, "lng": lng, "radius_m": radius_m, "muted": False}
    follow = await _get_or_create(user_id, category=category, **where)
    await Follow.filter(id=follow.id).update(**where)
    await follow.refresh_from_db()
    return follow


async def unfollow_category(user_id: int, category: str) -> bool:
    return await Follow.filter(user_id=user_id, category=category).delete() > 0


async def mute_category(user_id: int, category: str) -> bool:
    """Mute the user's follow of a category; False if they do not follow it."""
    return await Follow.filter(user_id=user_id, category=category).update(muted=True) > 0


# ------------------------------------------------------------------------ by follow id


async def remove(user_id: int, follow_id: int) -> bool:
    """Delete one of the user's own follows; someone else's id changes nothing (False)."""
    return await Follow.filter(id=follow_id, user_id=user_id).delete() > 0


async def set_muted(user_id: int, follow_id: int, muted: bool) -> bool:
    """Mute or unmute one of the user's own follows; False for anyone else's id."""
    return await Follow.filter(id=follow_id, user_id=user_id).update(muted=muted) > 0


async def follows_of(user_id: int) -> list[FollowView]:
    """The user's follows: shops by name, then categories, each muted or not."""
    rows = await Follow.filter(user_id=user_id).select_related("shop").order_by("id")
    views = [
        FollowView(
            id=f.id,
            muted=f.muted,
            shop_id=f.shop_id,
            shop_name=f.shop.name if f.shop_id else "",
            category=f.category,
            lat=f.lat,
            lng=f.lng,
            radius_m=f.radius_m,
        )
        for f in rows
    ]
    return sorted(views, key=lambda v: (v.shop_id is None, v.shop_name.lower(), v.id))


# ---------------------------------------------------------------------------- audiences


async def shop_followers(shop_id: int) -> list[int]:
    """Users following the shop and not muted, who can still be messaged."""
    return await Follow.filter(shop_id=shop_id, muted=False, user__reachable=True).values_list(
        "user_id", flat=True
    )


async def opted_out(shop_id: int) -> set[int]:
    """Users who muted the shop: no audience of that shop includes them."""
    rows = await Follow.filter(shop_id=shop_id, muted=True).values_list("user_id", flat=True)
    return set(rows)


async def category_followers_near(category: str, lat: float, lng: float) -> list[int]:
    """Users following `category` whose own radius around their point covers (lat, lng).

    Each follow has its own radius, so the SQL box is the widest possible one (MAX_RADIUS_M
    around the point) and the exact great-circle test against each follow's radius is done
    here on the few rows inside it."""
    lat_lo, lat_hi, lng_lo, lng_hi = bounding_box(lat, lng, MAX_RADIUS_M)
    if lng_lo <= lng_hi:
        within_lng = Q(lng__gte=lng_lo, lng__lte=lng_hi)
    else:  # the box wraps across the antimeridian
        within_lng = Q(lng__gte=lng_lo) | Q(lng__lte=lng_hi)
    rows = await Follow.filter(
        within_lng,
        category=category,
        muted=False,
        user__reachable=True,
        lat__gte=lat_lo,
        lat__lte=lat_hi,
    ).values_list("user_id", "lat", "lng", "radius_m")
    return [
        user_id
        for user_id, f_lat, f_lng, radius_m in rows
        if haversine_m(f_lat, f_lng, lat, lng) <= radius_m
    ]


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(lat_lo, lat_hi, lng_lo, lng_hi) holding every point within radius_m of (lat, lng),
    padded a little against rounding. Across the antimeridian lng_lo > lng_hi (the box wraps);
    near a pole every longitude is inside."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.001 + 1e-6
    lat_lo, lat_hi = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    widest = max(abs(lat_lo), abs(lat_hi))
    if widest >= 89.0:
        return lat_lo, lat_hi, -180.0, 180.0
    dlng = dlat / math.cos(math.radians(widest))
    lng_lo, lng_hi = lng - dlng, lng + dlng
    if lng_lo < -180.0:
        lng_lo += 360.0
    if lng_hi > 180.0:
        lng_hi -= 360.0
    return lat_lo, lat_hi, lng_lo, lng_hi


# ------------------------------------------------------------------------------ helpers


async def _get_or_create(user_id: int, **fields: object) -> Follow:
    """The (user, shop) or (user, category) follow, created with `fields` if missing; a racing
    creation of the same follow is absorbed by the unique constraint."""
    key = {k: fields[k] for k in ("shop_id", "category") if k in fields}
    found = await Follow.get_or_none(user_id=user_id, **key)
    if found is not None:
        return found
    try:
        async with in_transaction():  # a savepoint when the caller holds a transaction
            return await Follow.create(user_id=user_id, **fields)
    except IntegrityError:
        return await Follow.get(user_id=user_id, **key)
