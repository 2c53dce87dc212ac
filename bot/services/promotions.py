"""Promotions and flash deals: who a shop may reach, sending through the outbox, the flash
lifecycle (time or stock running out), and results (reached → delivered → claimed → redeemed).

Audiences, always without people who muted the shop (bot.services.follows), the shop's own
staff, and people who blocked the bot:
- followers: active follows of the shop;
- category: people following the shop's category within their own radius of their point;
- customers: the shop's customers as bot.services.customers defines them (claimed, redeemed
  or bought there; following alone is the followers audience).

Every promotion is one outbox campaign `promo:<id>` (kind `promo` or `flash`); a flash deal's
rows expire when it ends, so quiet hours skip it rather than deliver it late. No Telegram
here: payloads are built by the caller; time is passed in.

Launching is atomic and idempotent: `launch_once` creates the promotion (and a flash deal's
coupon), queues every recipient and marks it sending in ONE transaction, under the key its
Send button carries (unique). A crash leaves all of it or none of it; a second press of Send
— a double tap, a retried update, an old preview, after a restart — finds the promotion
already launched instead of creating another.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from bot.models import (
    ClaimStatus,
    Coupon,
    CouponClaim,
    CouponStatus,
    Outbox,
    OutboxStatus,
    Promotion,
    PromotionAudience,
    PromotionStatus,
    Shop,
    ShopStatus,
    Staff,
)
from bot.services import coupons, customers, follows, outbox
from bot.services.shops import ShopError, clean_text
from bot.services.staff import Permission, require

TEXT_MAX = 600  # leaves room for the bot's own lines within a photo caption (1024)
PROMO_KIND, FLASH_KIND = "promo", "flash"
#: Flash windows offered as buttons (minutes); typed ones must lie within the bounds.
FLASH_MINUTES = (30, 60, 120, 240)
FLASH_MIN_MINUTES, FLASH_MAX_MINUTES = 10, 12 * 60
#: Flash stock offered as buttons; typed ones up to the maximum.
FLASH_STOCKS = (5, 10, 20, 50)
FLASH_MAX_STOCK = 1000
#: A promotion on its way or delivered: a flash deal in these states is still running.
LIVE = (PromotionStatus.SENDING, PromotionStatus.SENT)
#: Why a pending outbox row of an ended flash deal was dropped.
ENDED_SKIP_REASON = "ended"
#: Launch keys: random, URL- and callback-safe, short enough for a button's 64-byte data.
LAUNCH_KEY_BYTES = 9  # 72 bits → 12 characters
LAUNCH_KEY_MAX = 32


class PromotionError(Exception):
    """A promotion refused: not_approved, text_empty, text_too_long, coupon_unavailable,
    bad_minutes, bad_stock, nobody (an empty audience)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


def campaign_of(promotion_id: int) -> str:
    """The outbox campaign of a promotion."""
    return f"promo:{promotion_id}"


# ------------------------------------------------------------------------------ checks


async def sendable_shop(user_id: int, shop_id: int) -> Shop:
    """The shop if the user may promote it (NotAllowed otherwise) and customers can see it."""
    shop = await require(user_id, shop_id, Permission.PROMOTE)
    if shop.status != ShopStatus.APPROVED:
        raise PromotionError("not_approved")
    return shop


def checked_text(text: str) -> str:
    """The merchant's message, trimmed, at most TEXT_MAX characters."""
    try:
        return clean_text(text, TEXT_MAX, multiline=True)
    except ShopError as error:
        raise PromotionError(f"text_{error.reason}", max=TEXT_MAX) from None


def checked_minutes(minutes: int) -> int:
    if not FLASH_MIN_MINUTES <= minutes <= FLASH_MAX_MINUTES:
        raise PromotionError("bad_minutes", low=FLASH_MIN_MINUTES, high=FLASH_MAX_MINUTES)
    return minutes


def checked_stock(stock: int) -> int:
    if not 1 <= stock <= FLASH_MAX_STOCK:
        raise PromotionError("bad_stock", high=FLASH_MAX_STOCK)
    return stock


async def attachable_coupons(shop_id: int, *, now: datetime) -> list[Coupon]:
    """The shop's coupons people can claim right now (not flash deals), newest first."""
    found = await Coupon.filter(
        shop_id=shop_id, status=CouponStatus.ACTIVE, flash_ends_at__isnull=True
    ).order_by("-created_at", "-id")
    return [c for c in found if _claimable_now(c, now)]


def _claimable_now(coupon: Coupon, now: datetime) -> bool:
    started = coupon.valid_from is None or coupon.valid_from <= now
    open_ = coupon.valid_until is None or now < coupon.valid_until
    return started and open_ and not coupons.is_exhausted(coupon)


async def flash_templates(shop_id: int) -> list[Coupon]:
    """Coupons a flash deal can copy its offer from: the shop's own, not ended, not flash
    deals themselves; newest first."""
    return await Coupon.filter(
        shop_id=shop_id, flash_ends_at__isnull=True, status__not=CouponStatus.ENDED
    ).order_by("-created_at", "-id")


# ---------------------------------------------------------------------------- audiences


async def audience_ids(shop: Shop, audience: PromotionAudience) -> list[int]:
    """Who a promotion of the shop to this audience goes to: deduplicated, sorted."""
    if audience == PromotionAudience.FOLLOWERS:
        ids = set(await follows.shop_followers(shop.id))
    elif audience == PromotionAudience.CATEGORY:
        ids = set(await follows.category_followers_near(shop.category, shop.lat, shop.lng))
    else:
        ids = await customers.customers_of(shop.id, reachable_only=True)
    staff = set(await Staff.filter(shop_id=shop.id).values_list("user_id", flat=True))
    return sorted(ids - staff - await follows.opted_out(shop.id))


async def audience_sizes(shop: Shop) -> dict[PromotionAudience, int]:
    """How many people each audience would reach now (shown before the merchant picks)."""
    return {a: len(await audience_ids(shop, a)) for a in PromotionAudience}


# ----------------------------------------------------------------------------- creating


async def create_promotion(
    shop: Shop,
    author_id: int,
    *,
    text: str,
    photo_file_id: str | None,
    coupon_id: int | None,
    audience: PromotionAudience,
    chat_id: int | None,
    now: datetime,
    launch_key: str | None = None,
) -> Promotion:
    """A promotion ready to launch (a draft until `launch`); the coupon, if any, must be one
    of the shop's that people can claim now."""
    text = checked_text(text)
    if coupon_id is not None and coupon_id not in {
        c.id for c in await attachable_coupons(shop.id, now=now)
    }:
        raise PromotionError("coupon_unavailable")
    return await Promotion.create(
        shop=shop,
        author_id=author_id,
        text=text,
        photo_file_id=photo_file_id,
        coupon_id=coupon_id,
        audience=audience,
        progress_chat_id=chat_id,
        launch_key=launch_key,
        created_at=now,
    )


async def create_flash(
    shop: Shop,
    author_id: int,
    *,
    template_id: int,
    stock: int,
    minutes: int,
    text: str,
    photo_file_id: str | None,
    audience: PromotionAudience,
    chat_id: int | None,
    now: datetime,
    launch_key: str | None = None,
) -> Promotion:
    """A flash deal from now for `minutes`: a new coupon copying the template's offer, with
    the small stock, one per person, usable until the deal ends; and its promotion."""
    text = checked_text(text)
    stock, minutes = checked_stock(stock), checked_minutes(minutes)
    template = next((c for c in await flash_templates(shop.id) if c.id == template_id), None)
    if template is None:
        raise PromotionError("coupon_unavailable")
    ends = now + timedelta(minutes=minutes)
    async with in_transaction():
        coupon = await coupons.create_coupon(
            shop.id,
            kind=template.kind,
            value=template.value,
            title=template.title,
            terms=template.terms,
            min_spend_cents=template.min_spend_cents,
            stock=stock,
            per_user_limit=1,
            valid_from=now,
            valid_until=ends,
            audience=template.audience,
            audience_tier=template.audience_tier,
            flash_ends_at=ends,
        )
        return await Promotion.create(
            shop=shop,
            author_id=author_id,
            text=text,
            photo_file_id=photo_file_id,
            coupon=coupon,
            audience=audience,
            is_flash=True,
            ends_at=ends,
            progress_chat_id=chat_id,
            launch_key=launch_key,
            created_at=now,
        )


async def launch(promotion: Promotion, payload: Mapping[str, Any], *, now: datetime) -> int:
    """Queue the promotion for its audience as it is now and mark it sending, all in one
    transaction; returns how many it reaches. Launching again queues nobody twice (the outbox
    keeps one row per person)."""
    shop = await Shop.get(id=promotion.shop_id)
    ids = await audience_ids(shop, promotion.audience)
    campaign = campaign_of(promotion.id)
    async with in_transaction():
        if not ids and not await Outbox.exists(campaign=campaign):
            raise PromotionError("nobody")
        await outbox.enqueue(
            campaign,
            FLASH_KIND if promotion.is_flash else PROMO_KIND,
            ids,
            payload,
            not_before=now,
            expires_at=promotion.ends_at,
            shop_id=promotion.shop_id,  # counted against the shop's weekly cap
        )
        reached = await Outbox.filter(campaign=campaign).count()
        await Promotion.filter(id=promotion.id, status=PromotionStatus.DRAFT).update(
            status=PromotionStatus.SENDING
        )
        await Promotion.filter(id=promotion.id).update(reached=reached)
    promotion.reached = reached
    return reached


def new_launch_key() -> str:
    """The idempotency key of one preview's Send button."""
    return secrets.token_urlsafe(LAUNCH_KEY_BYTES)


def valid_launch_key(key: str) -> bool:
    """Whether `key` (from a button's data, so maybe forged) can be a launch key at all."""
    return 0 < len(key) <= LAUNCH_KEY_MAX and all(c.isalnum() or c in "-_" for c in key)


@dataclass(frozen=True)
class Launched:
    """What pressing Send did: `fresh` is False when its key had launched the promotion
    already (a second press), which then was left as it was."""

    promotion: Promotion
    fresh: bool


async def launch_once(
    key: str,
    create: Callable[[], Awaitable[Promotion]],
    payload_for: Callable[[Promotion], Mapping[str, Any]],
    *,
    now: datetime,
) -> Launched:
    """Create a promotion with `create` (which must give it `key` as launch key) and queue it
    for everyone with `payload_for(promotion)`, in one transaction — or, when `key` launched
    one already, return that one untouched. PromotionError / CouponError from `create` or
    `launch` leave nothing behind."""
    found = await launched(key)
    if found is not None:
        return Launched(found, fresh=False)
    try:
        async with in_transaction():
            promotion = await create()
            if promotion.launch_key != key:
                raise ValueError("create() must store the launch key")
            await launch(promotion, payload_for(promotion), now=now)
    except IntegrityError:  # the same key launched meanwhile (unique): that one stands
        found = await launched(key)
        if found is None:
            raise
        return Launched(found, fresh=False)
    return Launched(promotion, fresh=True)


async def launched(key: str) -> Promotion | None:
    """The promotion a Send button's key launched, if any."""
    return await Promotion.get_or_none(launch_key=key) if valid_launch_key(key) else None


async def set_progress_message(promotion_id: int, message_id: int) -> None:
    """Remember the merchant's progress message, so a restart edits it rather than a new one."""
    await Promotion.filter(id=promotion_id).update(progress_message_id=message_id)


async def mark_sent(promotion_id: int) -> bool:
    """Sending finished (a flash deal that ended meanwhile stays ended)."""
    return (
        await Promotion.filter(id=promotion_id, status=PromotionStatus.SENDING).update(
            status=PromotionStatus.SENT
        )
        > 0
    )


async def sending() -> list[Promotion]:
    """Promotions still sending, whose merchant's progress a restart should resume."""
    return await Promotion.filter(
        status=PromotionStatus.SENDING, progress_chat_id__isnull=False
    ).order_by("id")


# ---------------------------------------------------------------------------- flash deals


async def running_flash_deals() -> list[Promotion]:
    """Flash deals launched and not ended (coupon loaded)."""
    return (
        await Promotion.filter(is_flash=True, status__in=LIVE, coupon_id__isnull=False)
        .select_related("coupon")
        .order_by("ends_at", "id")
    )


def end_reason(promotion: Promotion, coupon: Coupon, now: datetime) -> str | None:
    """Why a running flash deal should end now: `sold_out`, `time`; None while it runs."""
    if coupons.is_exhausted(coupon):
        return "sold_out"
    if promotion.ends_at is not None and now >= promotion.ends_at:
        return "time"
    return None


async def due_flash_deal(promotion_id: int, now: datetime) -> tuple[Promotion, str] | None:
    """The flash deal and why it should end now, or None (running on, or already ended)."""
    found = await Promotion.get_or_none(
        id=promotion_id, is_flash=True, status__in=LIVE, coupon_id__isnull=False
    ).select_related("coupon")
    if found is None:
        return None
    reason = end_reason(found, found.coupon, now)
    return (found, reason) if reason else None


async def sold_out_flash_deals(coupon_id: int) -> list[Promotion]:
    """Running flash deals whose coupon was just claimed to the last unit."""
    coupon = await Coupon.get_or_none(id=coupon_id, flash_ends_at__isnull=False)
    if coupon is None or not coupons.is_exhausted(coupon):
        return []
    return await Promotion.filter(coupon_id=coupon_id, is_flash=True, status__in=LIVE)


async def end_flash(promotion_id: int) -> Promotion | None:
    """End a running flash deal exactly once: its coupon takes no more claims, and people not
    reached yet (quiet hours) are not sent a deal that is over. Returns the promotion (shop
    and coupon loaded) to the one caller that ended it, None to everyone else."""
    changed = await Promotion.filter(id=promotion_id, is_flash=True, status__in=LIVE).update(
        status=PromotionStatus.ENDED
    )
    if not changed:
        return None
    promotion = await Promotion.get(id=promotion_id).select_related("shop", "coupon")
    if promotion.coupon_id is not None:
        await coupons.end(promotion.coupon_id, promotion.shop_id)
    # Rows being sent this instant still go out; their claim button refuses.
    await outbox.cancel_pending(campaign_of(promotion_id), ENDED_SKIP_REASON)
    return promotion


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Funnel:
    """From the push to the counter: `reached` counts everyone queued (outbox rows), `waiting`
    those not sent yet (quiet hours, daily limit, in progress), `from_messages` the claims made
    through a pushed message."""

    reached: int = 0
    delivered: int = 0
    blocked: int = 0
    waiting: int = 0
    claimed: int = 0
    redeemed: int = 0
    from_messages: int = 0

    @property
    def claim_rate(self) -> float | None:
        """Delivered → claimed (through the messages); None before anything was delivered."""
        return self.from_messages / self.delivered if self.delivered else None

    @property
    def redeem_rate(self) -> float | None:
        """Claimed → redeemed; None before anything was claimed."""
        return self.redeemed / self.claimed if self.claimed else None


@dataclass(frozen=True)
class PromotionResult:
    promotion: Promotion
    funnel: Funnel


@dataclass(frozen=True)
class CouponResult:
    coupon: Coupon
    funnel: Funnel


async def promotion_results(shop_id: int, *, limit: int = 5) -> list[PromotionResult]:
    """The shop's latest launched promotions with their funnels, newest first."""
    found = (
        await Promotion.filter(shop_id=shop_id, status__not=PromotionStatus.DRAFT)
        .order_by("-created_at", "-id")
        .limit(limit)
    )
    sends = await _sends([campaign_of(p.id) for p in found])
    claims = await _claims_by_promotion([p.id for p in found])
    results = []
    for p in found:
        claimed, redeemed = claims.get(p.id, (0, 0))
        results.append(
            PromotionResult(p, _funnel(sends[campaign_of(p.id)], claimed, redeemed, claimed))
        )
    return results


async def coupon_results(shop_id: int, *, limit: int = 8) -> list[CouponResult]:
    """The shop's coupons (active first, as the coupon list orders them) with their funnels:
    pushes of every promotion that carried the coupon, and all its claims."""
    shown = (await coupons.list_coupons(shop_id))[:limit]
    ids = [c.id for c in shown]
    carried = await Promotion.filter(
        coupon_id__in=ids, status__not=PromotionStatus.DRAFT
    ).values_list("id", "coupon_id")
    sends = await _sends([campaign_of(pid) for pid, _ in carried])
    per_coupon: dict[int, Counter[str]] = defaultdict(Counter)
    for pid, coupon_id in carried:
        per_coupon[coupon_id].update(sends[campaign_of(pid)])
    via = dict(
        await CouponClaim.filter(coupon_id__in=ids, promotion_id__isnull=False)
        .annotate(n=Count("id"))
        .group_by("coupon_id")
        .values_list("coupon_id", "n")
    )
    return [
        CouponResult(
            c, _funnel(per_coupon[c.id], c.claimed_count, c.redeemed_count, via.get(c.id, 0))
        )
        for c in shown
    ]


async def coupon_for_results(user_id: int, coupon_id: int) -> Coupon | None:
    """The coupon (shop loaded) if it exists and the user may see its shop's results (None for
    an unknown coupon, NotAllowed for anyone else)."""
    coupon = await Coupon.get_or_none(id=coupon_id).select_related("shop")
    if coupon is not None:
        await require(user_id, coupon.shop_id, Permission.VIEW_RESULTS)
    return coupon


def _funnel(sends: Counter[str], claimed: int, redeemed: int, from_messages: int) -> Funnel:
    return Funnel(
        reached=sum(sends.values()),
        delivered=sends[OutboxStatus.SENT.value],
        blocked=sends[OutboxStatus.BLOCKED.value],
        waiting=sends[OutboxStatus.PENDING.value],
        claimed=claimed,
        redeemed=redeemed,
        from_messages=from_messages,
    )


async def _sends(campaigns: Sequence[str]) -> defaultdict[str, Counter[str]]:
    """Outbox rows per campaign and status."""
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    if not campaigns:
        return counts
    rows = (
        await Outbox.filter(campaign__in=list(campaigns))
        .annotate(n=Count("id"))
        .group_by("campaign", "status")
        .values_list("campaign", "status", "n")
    )
    for campaign, status, n in rows:
        counts[campaign][str(status)] += n
    return counts


async def _claims_by_promotion(promotion_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(claimed, redeemed) per promotion, counting claims made through its messages."""
    if not promotion_ids:
        return {}
    rows = (
        await CouponClaim.filter(promotion_id__in=list(promotion_ids))
        .annotate(n=Count("id"))
        .group_by("promotion_id", "status")
        .values_list("promotion_id", "status", "n")
    )
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pid, status, n in rows:
        totals[pid][0] += n
        if status == ClaimStatus.REDEEMED:
            totals[pid][1] += n
    return {pid: (c, r) for pid, (c, r) in totals.items()}
