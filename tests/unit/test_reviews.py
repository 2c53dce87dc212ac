"""The reviews service: one review per customer per shop, aggregates equal to the rows, verified
by purchases, listed verified first, one owner reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tortoise.functions import Count, Sum

from bot.clock import now
from bot.db import start_db, stop_db
from bot.models import Review, Shop
from bot.services.customers import is_verified
from bot.services.purchases import record_purchase
from bot.services.reviews import (
    ReviewError,
    reply_to_review,
    reviews_page,
    write_review,
)
from bot.services.shops import ShopDraft, create_shop, decide
from bot.services.users import ensure_user

OWNER, ANN, BOB, CAT = 1, 2, 3, 4
TEXT_MAX = 20


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[None]:
    await start_db(db_url)
    try:
        yield
    finally:
        await stop_db()


async def shop_with_customers(*, approve: bool = True) -> Shop:
    for uid, name in ((OWNER, "Olive"), (ANN, "Ann"), (BOB, "Bob"), (CAT, "Cat")):
        await ensure_user(uid, name, None, "en")
    draft = ShopDraft(name="Noodles", category="dining", lat=31.23, lng=121.47)
    shop = await create_shop(OWNER, draft, require_approval=True)
    return await decide(shop.id, approve=True) if approve else shop


async def assert_aggregates_match_rows(shop_id: int) -> tuple[int, int]:
    shop = await Shop.get(id=shop_id)
    row = (
        await Review.filter(shop_id=shop_id)
        .annotate(total=Sum("stars"), n=Count("id"))
        .first()
        .values("total", "n")
    )
    assert (shop.rating_sum, shop.rating_count) == (row["total"] or 0, row["n"])
    return shop.rating_sum, shop.rating_count


async def test_create_and_edit_keep_aggregates_equal_to_rows(db) -> None:
    shop = await shop_with_customers()
    first = await write_review(shop.id, ANN, 4, "  Tasty  ", text_max=TEXT_MAX)
    assert first.created and first.review.text == "Tasty" and not first.review.verified
    assert await assert_aggregates_match_rows(shop.id) == (4, 1)

    await write_review(shop.id, BOB, 2, "", text_max=TEXT_MAX)
    assert await assert_aggregates_match_rows(shop.id) == (6, 2)

    edit = await write_review(shop.id, ANN, 5, "Even better", text_max=TEXT_MAX)
    assert not edit.created and edit.review.id == first.review.id
    assert await assert_aggregates_match_rows(shop.id) == (7, 2)
    await write_review(shop.id, ANN, 5, "Same stars", text_max=TEXT_MAX)
    assert await assert_aggregates_match_rows(shop.id) == (7, 2)
    assert await Review.filter(shop_id=shop.id, user_id=ANN).count() == 1


async def test_concurrent_reviews_keep_aggregates_consistent(db) -> None:
    shop = await shop_with_customers()
    await asyncio.gather(
        write_review(shop.id, ANN, 5, "", text_max=TEXT_MAX),
        write_review(shop.id, BOB, 3, "", text_max=TEXT_MAX),
        write_review(shop.id, CAT, 1, "", text_max=TEXT_MAX),
        write_review(shop.id, ANN, 4, "", text_max=TEXT_MAX),
    )
    total, count = await assert_aggregates_match_rows(shop.id)
    assert count == 3 and total in (8, 9)


async def test_refusals_change_nothing(db) -> None:
    shop = await shop_with_customers()
    pending = await create_shop(
        OWNER, ShopDraft(name="Later", category="dining", lat=1, lng=1), require_approval=True
    )
    cases = [
        (shop.id, ANN, 0, "", "bad_stars"),
        (shop.id, ANN, 6, "", "bad_stars"),
        (shop.id, ANN, 4, "x" * (TEXT_MAX + 1), "too_long"),
        (shop.id, OWNER, 5, "Best shop ever", "own_shop"),
        (pending.id, ANN, 5, "", "not_found"),
        (99999, ANN, 5, "", "not_found"),
    ]
    for shop_id, user_id, stars, text, reason in cases:
        with pytest.raises(ReviewError) as exc:
            await write_review(shop_id, user_id, stars, text, text_max=TEXT_MAX)
        assert exc.value.reason == reason
    assert not await Review.all().count()
    assert await assert_aggregates_match_rows(shop.id) == (0, 0)


async def test_verified_by_purchase_and_listed_first(db) -> None:
    shop = await shop_with_customers()
    await record_purchase(shop.id, ANN, 2800, OWNER, now=now())
    assert await is_verified(shop.id, ANN)
    assert not await is_verified(shop.id, BOB)

    await write_review(shop.id, ANN, 4, "Bought noodles", text_max=TEXT_MAX)
    await write_review(shop.id, BOB, 5, "Just looked", text_max=TEXT_MAX)
    await write_review(shop.id, CAT, 3, "Newest", text_max=TEXT_MAX)
    page = await reviews_page(shop.id, 0)
    assert [(e.author, e.verified) for e in page.entries] == [
        ("Ann", True),
        ("Cat", False),
        ("Bob", False),
    ]
    assert page.total == 3 and page.pages == 1 and not page.has_next

    await record_purchase(shop.id, BOB, 100, OWNER, now=now())
    await write_review(shop.id, BOB, 5, "Bought now", text_max=TEXT_MAX)  # edit re-checks
    assert await Review.get(shop_id=shop.id, user_id=BOB).values_list("verified", flat=True)


async def test_pages_of_five(db) -> None:
    shop = await shop_with_customers()
    for uid in range(10, 17):
        await ensure_user(uid, f"User {uid}", None, "en")
        await write_review(shop.id, uid, 1 + uid % 5, "", text_max=TEXT_MAX)
    first, second = await reviews_page(shop.id, 0), await reviews_page(shop.id, 1)
    assert len(first.entries) == 5 and len(second.entries) == 2
    assert first.has_next and not first.has_prev and second.has_prev and not second.has_next
    assert [e.author for e in first.entries + second.entries] == [
        f"User {uid}" for uid in range(16, 9, -1)
    ]
    await assert_aggregates_match_rows(shop.id)


async def test_owner_replies_once(db) -> None:
    shop = await shop_with_customers()
    review = (await write_review(shop.id, ANN, 2, "Cold soup", text_max=TEXT_MAX)).review
    for user_id, text, reason in (
        (BOB, "Not mine", "not_owner"),
        (OWNER, "   ", "empty"),
        (OWNER, "y" * (TEXT_MAX + 1), "too_long"),
    ):
        with pytest.raises(ReviewError) as exc:
            await reply_to_review(review.id, user_id, text, text_max=TEXT_MAX)
        assert exc.value.reason == reason

    replied = await reply_to_review(review.id, OWNER, "Sorry! Fixed.", text_max=TEXT_MAX)
    assert replied.reply == "Sorry! Fixed." and replied.replied_at is not None
    with pytest.raises(ReviewError) as exc:
        await reply_to_review(review.id, OWNER, "Again", text_max=TEXT_MAX)
    assert exc.value.reason == "already_replied"
    assert (await Review.get(id=review.id)).reply == "Sorry! Fixed."
    with pytest.raises(ReviewError) as exc:
        await reply_to_review(99999, OWNER, "Hello", text_max=TEXT_MAX)
    assert exc.value.reason == "not_found"


async def test_a_redeemed_coupon_makes_a_review_verified_a_merely_claimed_one_does_not(db) -> None:
    from datetime import UTC, datetime

    from bot.models import CouponKind
    from bot.services import coupons

    shop = await shop_with_customers()
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    coupon = await coupons.create_coupon(
        shop.id,
        kind=CouponKind.AMOUNT,
        value=500,
        title="¥5 off",
        terms="",
        min_spend_cents=0,
        stock=None,
        per_user_limit=1,
        valid_from=None,
        valid_until=None,
        valid_days=30,
        audience=coupons.Audience.EVERYONE,
    )
    ann = await coupons.claim(coupon.id, ANN, now=now)
    await coupons.claim(coupon.id, BOB, now=now)
    assert not await is_verified(shop.id, ANN)
    await coupons.redeem(ann.id, OWNER, now=now)
    assert await is_verified(shop.id, ANN)
    assert not await is_verified(shop.id, BOB)
