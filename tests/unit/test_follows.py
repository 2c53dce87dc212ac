"""The follow rules without Telegram, on SQLite and PostgreSQL: following shops and categories,
muting, leaving, listing, and the bounding box the category audience prefilters with."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest

from bot.db import start_db, stop_db
from bot.models import Follow, Shop
from bot.services import follows
from bot.services.follows import MAX_RADIUS_M, FollowError, bounding_box
from bot.services.search import haversine_m
from bot.services.shops import ShopDraft, create_shop
from bot.services.users import ensure_user

OWNER, ANN, BOB = 1, 11, 12
CATEGORIES = ("dining", "laundry")
LAT, LNG = 31.2304, 121.4737


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[None]:
    await start_db(db_url)
    try:
        for user_id, name in ((OWNER, "Wang"), (ANN, "Ann"), (BOB, "Bob")):
            await ensure_user(user_id, name, None, "en")
        yield
    finally:
        await stop_db()


async def a_shop(name: str = "Lao Wang Noodles", *, approved: bool = True) -> Shop:
    draft = ShopDraft(name=name, category="dining", lat=LAT, lng=LNG)
    return await create_shop(OWNER, draft, require_approval=not approved)


async def refused(reason: str, action) -> None:
    with pytest.raises(FollowError) as excinfo:
        await action
    assert excinfo.value.reason == reason


# ------------------------------------------------------------------------------ shops


async def test_following_a_shop_is_idempotent_and_undone_by_unfollowing(db: None) -> None:
    shop = await a_shop()
    first = await follows.follow_shop(ANN, shop.id)
    again = await follows.follow_shop(ANN, shop.id)
    assert first.id == again.id and not again.muted
    assert await Follow.filter(user_id=ANN).count() == 1
    assert await follows.shop_followers(shop.id) == [ANN]

    assert await follows.unfollow_shop(ANN, shop.id)
    assert not await follows.unfollow_shop(ANN, shop.id)  # nothing left to undo
    assert await follows.shop_followers(shop.id) == []


async def test_only_approved_shops_of_others_can_be_followed(db: None) -> None:
    pending = await a_shop("Pending Place", approved=False)
    await refused("not_found", follows.follow_shop(ANN, pending.id))
    await refused("not_found", follows.follow_shop(ANN, 9999))
    own = await a_shop()
    await refused("own_shop", follows.follow_shop(OWNER, own.id))
    assert not await Follow.exists()


async def test_muting_keeps_the_follow_and_opts_out_even_without_one(db: None) -> None:
    shop = await a_shop()
    await follows.follow_shop(ANN, shop.id)
    assert await follows.mute_shop(ANN, shop.id)
    assert await follows.mute_shop(BOB, shop.id)  # a customer who never followed
    assert not await follows.mute_shop(BOB, 9999)
    assert await follows.shop_followers(shop.id) == []
    assert await follows.opted_out(shop.id) == {ANN, BOB}

    await follows.follow_shop(ANN, shop.id)  # following again un-mutes
    assert await follows.shop_followers(shop.id) == [ANN]
    assert await follows.opted_out(shop.id) == {BOB}


# ------------------------------------------------------------------------- categories


async def test_following_a_category_validates_and_moves_with_a_second_follow(db: None) -> None:
    await refused(
        "bad_category", follows.follow_category(ANN, "spa", LAT, LNG, 2000, categories=CATEGORIES)
    )
    await refused(
        "bad_radius", follows.follow_category(ANN, "dining", LAT, LNG, 3000, categories=CATEGORIES)
    )
    await refused(
        "bad_place", follows.follow_category(ANN, "dining", 91, LNG, 2000, categories=CATEGORIES)
    )

    first = await follows.follow_category(ANN, "dining", LAT, LNG, 2000, categories=CATEGORIES)
    await follows.mute_category(ANN, "dining")
    moved = await follows.follow_category(ANN, "dining", 31.3, 121.5, 5000, categories=CATEGORIES)
    assert moved.id == first.id
    assert (moved.lat, moved.lng, moved.radius_m, moved.muted) == (31.3, 121.5, 5000, False)
    assert await Follow.filter(user_id=ANN).count() == 1

    assert await follows.unfollow_category(ANN, "dining")
    assert not await follows.mute_category(ANN, "dining")


# ------------------------------------------------------------------- by id, and the list


async def test_a_follow_id_acts_for_its_owner_only(db: None) -> None:
    shop = await a_shop()
    follow = await follows.follow_shop(ANN, shop.id)
    assert not await follows.set_muted(BOB, follow.id, True)
    assert not await follows.remove(BOB, follow.id)
    assert not (await Follow.get(id=follow.id)).muted

    assert await follows.set_muted(ANN, follow.id, True)
    assert (await Follow.get(id=follow.id)).muted
    assert await follows.remove(ANN, follow.id)
    assert not await Follow.exists(id=follow.id)


async def test_the_list_names_shops_first_then_categories(db: None) -> None:
    zebra, apple = await a_shop("Zebra Laundry"), await a_shop("apple Hair")
    await follows.follow_category(ANN, "laundry", LAT, LNG, 1000, categories=CATEGORIES)
    await follows.follow_shop(ANN, zebra.id)
    await follows.follow_shop(ANN, apple.id)
    await follows.mute_shop(ANN, zebra.id)
    listed = await follows.follows_of(ANN)
    assert [(v.shop_name, v.category, v.muted) for v in listed] == [
        ("apple Hair", None, False),
        ("Zebra Laundry", None, True),
        ("", "laundry", False),
    ]
    assert listed[2].radius_m == 1000 and await follows.follows_of(BOB) == []


# ------------------------------------------------------------------------ bounding box


@pytest.mark.parametrize("lat, lng", [(31.23, 121.47), (-33.9, 18.4), (64.1, -21.9), (0.0, 0.0)])
def test_the_box_holds_every_point_within_the_radius(lat: float, lng: float) -> None:
    lat_lo, lat_hi, lng_lo, lng_hi = bounding_box(lat, lng, MAX_RADIUS_M)
    for bearing in range(0, 360, 15):
        # A point just inside the radius in this direction (spherical destination formula).
        d = (MAX_RADIUS_M - 1) / 6371008.8
        p1, l1, b = math.radians(lat), math.radians(lng), math.radians(bearing)
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
        l2 = l1 + math.atan2(
            math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
        )
        plat, plng = math.degrees(p2), math.degrees(l2)
        assert haversine_m(lat, lng, plat, plng) < MAX_RADIUS_M
        assert lat_lo <= plat <= lat_hi and lng_lo <= plng <= lng_hi, bearing
    assert lat_hi - lat_lo < 0.1  # and it stays small: ~11 km tall for 5 km


def test_the_box_wraps_across_the_antimeridian() -> None:
    _, _, lng_lo, lng_hi = bounding_box(-17.0, 179.99, 5000)
    assert lng_lo > lng_hi  # wrapped: [lng_lo, 180] and [-180, lng_hi]
    assert 179.9 < lng_lo < 179.99 and -180 < lng_hi < -179.9
