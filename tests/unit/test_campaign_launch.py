"""Launching a campaign once, on SQLite and PostgreSQL: the promotion (a flash deal's coupon
too), its outbox rows and its sending status commit together under the Send button's key, so a
failure half-way leaves nothing and a second launch with the same key — one after another or
at the same moment — finds the first instead of creating another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from bot.db import start_db, stop_db
from bot.models import (
    Coupon,
    CouponKind,
    Outbox,
    Promotion,
    PromotionAudience,
    PromotionStatus,
    Shop,
    User,
)
from bot.services import coupons, follows, outbox, promotions
from bot.services.promotions import PromotionError
from bot.services.shops import ShopDraft, create_shop
from bot.services.users import ensure_user

NOW = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai
OWNER = 1
FOLLOWERS = range(100, 160)


def payload(promotion: Promotion) -> dict[str, Any]:
    return {"text": f"Offer {promotion.id}"}


@pytest.fixture
async def shop(db_url: str) -> AsyncIterator[Shop]:
    """An approved shop with 60 followers."""
    await start_db(db_url)
    try:
        await ensure_user(OWNER, "Wang", None, "en")
        await User.bulk_create([User(id=i, first_name=f"user{i}") for i in FOLLOWERS])
        draft = ShopDraft(name="Lao Wang Noodles", category="dining", lat=31.23, lng=121.47)
        noodles = await create_shop(OWNER, draft, require_approval=False)
        for user_id in FOLLOWERS:
            await follows.follow_shop(user_id, noodles.id)
        yield noodles
    finally:
        await stop_db()


def promo(shop: Shop, key: str, **changes: Any) -> partial[Any]:
    """What the flow hands `launch_once` to create the promotion of one preview."""
    fields: dict[str, Any] = {
        "text": "Half price today",
        "photo_file_id": None,
        "coupon_id": None,
        "audience": PromotionAudience.FOLLOWERS,
        "chat_id": OWNER,
        "now": NOW,
        "launch_key": key,
    }
    return partial(promotions.create_promotion, shop, OWNER, **(fields | changes))


async def test_a_second_launch_with_the_same_key_finds_the_first(shop: Shop) -> None:
    key = promotions.new_launch_key()
    assert promotions.valid_launch_key(key) and len(f"promo:send:{key}") <= 64
    first = await promotions.launch_once(key, promo(shop, key), payload, now=NOW)
    assert first.fresh and first.promotion.reached == 60
    assert first.promotion.status == PromotionStatus.DRAFT  # the object as created ...
    stored = await Promotion.get(id=first.promotion.id)
    assert (stored.status, stored.launch_key, stored.reached) == (PromotionStatus.SENDING, key, 60)
    again = await promotions.launch_once(key, promo(shop, key, text="Changed"), payload, now=NOW)
    assert not again.fresh and again.promotion.id == first.promotion.id
    assert again.promotion.text == "Half price today"  # untouched
    assert await Promotion.all().count() == 1
    assert await Outbox.all().count() == 60
    other = promotions.new_launch_key()  # another preview: another campaign
    assert (await promotions.launch_once(other, promo(shop, other), payload, now=NOW)).fresh
    assert await Promotion.all().count() == 2


async def test_presses_at_the_same_moment_launch_one_campaign(shop: Shop) -> None:
    key = promotions.new_launch_key()
    results = await asyncio.gather(
        *(promotions.launch_once(key, promo(shop, key), payload, now=NOW) for _ in range(5))
    )
    assert sum(r.fresh for r in results) == 1
    assert {r.promotion.id for r in results} == {(await Promotion.get(launch_key=key)).id}
    assert await Promotion.all().count() == 1
    assert await Outbox.all().count() == 60


async def test_a_launch_failing_half_way_leaves_nothing_and_can_be_pressed_again(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = await coupons.create_coupon(
        shop.id, kind=CouponKind.AMOUNT, value=500, title="¥5 off", valid_days=30
    )
    key = promotions.new_launch_key()
    flash = partial(
        promotions.create_flash, shop, OWNER, template_id=template.id, stock=10, minutes=60,
        text="Quick!", photo_file_id=None, audience=PromotionAudience.FOLLOWERS, chat_id=OWNER,
        now=NOW, launch_key=key,
    )  # fmt: skip
    real_bulk_create = Outbox.bulk_create
    chunks = 0

    async def dies_on_the_second_chunk(*args: Any, **kwargs: Any) -> Any:
        nonlocal chunks
        chunks += 1
        if chunks == 2:
            raise ConnectionError("the process died here")
        return await real_bulk_create(*args, **kwargs)

    monkeypatch.setattr(outbox, "INSERT_CHUNK", 25)
    monkeypatch.setattr(Outbox, "bulk_create", dies_on_the_second_chunk)
    with pytest.raises(ConnectionError):
        await promotions.launch_once(key, flash, payload, now=NOW)
    assert chunks == 2
    assert not await Promotion.exists()
    assert await Outbox.all().count() == 0  # the first chunk went with the rest
    assert await Coupon.all().count() == 1  # the flash deal's own coupon too
    assert await promotions.launched(key) is None

    monkeypatch.setattr(Outbox, "bulk_create", real_bulk_create)
    done = await promotions.launch_once(key, flash, payload, now=NOW)  # Send, pressed again
    assert done.fresh and done.promotion.reached == 60
    assert await Outbox.filter(campaign=promotions.campaign_of(done.promotion.id)).count() == 60
    assert await Coupon.filter(flash_ends_at__isnull=False).count() == 1


async def test_refusals_create_nothing_and_forged_keys_find_nothing(shop: Shop) -> None:
    key = promotions.new_launch_key()
    with pytest.raises(PromotionError) as refused:
        await promotions.launch_once(
            key, promo(shop, key, audience=PromotionAudience.CUSTOMERS), payload, now=NOW
        )
    assert refused.value.reason == "nobody"
    with pytest.raises(PromotionError) as refused:
        await promotions.launch_once(key, promo(shop, key, text="  "), payload, now=NOW)
    assert refused.value.reason == "text_empty"
    assert not await Promotion.exists() and not await Outbox.exists()
    for forged in ("", "x" * 33, "a:b", "ключ", "' OR 1=1"):
        assert await promotions.launched(forged) is None
