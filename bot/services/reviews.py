"""Reviews: one per customer per shop, editable, verified when the reviewer bought or redeemed
a coupon there (bot.services.customers.is_verified), with one reply from the shop owner. The
shop's rating aggregates move in the same transaction as the review row, so
`rating_sum / rating_count` always equals the rows' average."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot.clock import now
from bot.models import Review, Shop, User
from bot.services import customers
from bot.services.shops import public_shop
from bot.services.staff import NotAllowed, Permission, require, works_at
from bot.services.visible import is_blank

PAGE_SIZE = 5
STARS = range(1, 6)


class ReviewError(Exception):
    """A review action refused for a reason the user can be told (`reason` is a code):
    not_found, own_shop, bad_stars, too_long, empty, not_owner, already_replied."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReviewEntry:
    """One review as the list shows it."""

    id: int
    reviewer_id: int
    author: str
    stars: int
    text: str
    verified: bool
    reply: str | None
    updated_at: datetime


@dataclass(frozen=True)
class ReviewPage:
    entries: list[ReviewEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.per_page < self.total

    @property
    def has_prev(self) -> bool:
        return self.page > 0


@dataclass(frozen=True)
class WriteResult:
    review: Review
    created: bool


async def reviewable_shop(shop_id: int, user_id: int) -> Shop:
    """The shop if this user may review it: approved, and not one they run or work at."""
    shop = await public_shop(shop_id)
    if shop is None:
        raise ReviewError("not_found")
    if await works_at(user_id, shop_id):
        raise ReviewError("own_shop")
    return shop


async def review_of(shop_id: int, user_id: int) -> Review | None:
    return await Review.get_or_none(shop_id=shop_id, user_id=user_id)


def clean_text(text: str, text_max: int) -> str:
    """The review or reply text as stored ('' when nothing in it is visible), or
    ReviewError('too_long')."""
    text = "" if is_blank(text) else text.strip()
    if len(text) > text_max:
        raise ReviewError("too_long")
    return text


async def write_review(
    shop_id: int, user_id: int, stars: int, text: str, *, text_max: int
) -> WriteResult:
    """Create the user's review of the shop, or edit it if they wrote one before."""
    if stars not in STARS:
        raise ReviewError("bad_stars")
    text = clean_text(text, text_max)
    await reviewable_shop(shop_id, user_id)
    verified = await customers.is_verified(shop_id, user_id)
    try:
        return await _upsert(shop_id, user_id, stars, text, verified)
    except IntegrityError:  # a concurrent first review won the unique (shop, user) slot
        return await _upsert(shop_id, user_id, stars, text, verified)


async def _upsert(shop_id: int, user_id: int, stars: int, text: str, verified: bool) -> WriteResult:
    async with in_transaction():
        review = await Review.filter(shop_id=shop_id, user_id=user_id).select_for_update().first()
        if review is None:
            review = await Review.create(
                shop_id=shop_id, user_id=user_id, stars=stars, text=text, verified=verified
            )
            await Shop.filter(id=shop_id).update(
                rating_sum=F("rating_sum") + stars, rating_count=F("rating_count") + 1
            )
            return WriteResult(review, created=True)
        delta = stars - review.stars
        review.stars, review.text, review.verified = stars, text, verified
        await review.save(update_fields=["stars", "text", "verified", "updated_at"])
        if delta:
            await Shop.filter(id=shop_id).update(rating_sum=F("rating_sum") + delta)
        return WriteResult(review, created=False)


async def reviews_page(shop_id: int, page: int, per_page: int = PAGE_SIZE) -> ReviewPage:
    """Verified reviews first, then the others; newest first within each."""
    reviews = Review.filter(shop_id=shop_id)
    total = await reviews.count()
    rows = (
        await reviews.order_by("-verified", "-updated_at", "-id")
        .offset(max(page, 0) * per_page)
        .limit(per_page)
        .values("id", "user_id", "stars", "text", "verified", "reply", "updated_at")
    )
    names = dict(
        await User.filter(id__in=[r["user_id"] for r in rows]).values_list("id", "first_name")
    )
    entries = [
        ReviewEntry(
            id=r["id"],
            reviewer_id=r["user_id"],
            author=names.get(r["user_id"], ""),
            stars=r["stars"],
            text=r["text"],
            verified=r["verified"],
            reply=r["reply"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]
    return ReviewPage(entries, total, page, per_page)


async def replyable_review(review_id: int, user_id: int) -> Review:
    """The review if this user may reply for its shop (the owner) and nobody has yet."""
    review = await Review.get_or_none(id=review_id)
    if review is None:
        raise ReviewError("not_found")
    try:
        await require(user_id, review.shop_id, Permission.REPLY_REVIEWS)
    except NotAllowed:
        raise ReviewError("not_owner") from None
    if review.reply is not None:
        raise ReviewError("already_replied")
    return review


async def reply_to_review(review_id: int, user_id: int, text: str, *, text_max: int) -> Review:
    """The owner's one public reply; a second one is refused even when two race."""
    text = clean_text(text, text_max)
    if not text:
        raise ReviewError("empty")
    await replyable_review(review_id, user_id)
    changed = await Review.filter(id=review_id, reply__isnull=True).update(
        reply=text, replied_at=now()
    )
    if not changed:
        raise ReviewError("already_replied")
    return await Review.get(id=review_id)
