"""What the staff counter reads around the ledger (bot/services/ledger.py moves the money):
the customer's coupons usable at the shop, a card's recent purchases and top-ups with whether
the owner may still void them, a purchase by its confirmation key, and the spend request's
messages (to edit both chats when the customer answers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.models import (
    CardProgram,
    ClaimStatus,
    CouponClaim,
    CouponStatus,
    LedgerEntry,
    LedgerKind,
    MemberCard,
    Purchase,
    SpendRequest,
    SpendStatus,
    TopUpBonus,
)
from bot.services import coupons, ledger
from bot.services.cards import CardError
from bot.services.coupons import WalletItem
from bot.services.ledger import Quote

RECENT = 8  # purchases and top-ups on the owner's list
VOID_TOP_UP_KEY = "void-t:"  # see ledger.void_top_up / voided_top_up


async def quote_purchase(
    card_id: int,
    amount_cents: int,
    *,
    coupon_claim_id: int | None,
    use_points: bool,
    use_value: bool,
) -> Quote:
    """The confirmation's figures: ledger.preview on the card, its program and the coupon
    (the same computation the ledger records with)."""
    card = await MemberCard.get_or_none(id=card_id).select_related("tier")
    if card is None:
        raise CardError("not_found")
    program = await CardProgram.get_or_none(shop_id=card.shop_id)  # type: ignore[attr-defined]
    coupon = None
    if coupon_claim_id is not None:
        claim = await CouponClaim.get_or_none(id=coupon_claim_id).select_related("coupon")
        if claim is not None:
            coupon = claim.coupon
    return ledger.preview(
        card, program, amount_cents, coupon=coupon, use_points=use_points, use_value=use_value
    )


@dataclass(frozen=True)
class Activity:
    """A purchase or a top-up on a card, as the owner's recent list shows it."""

    kind: Literal["purchase", "top_up"]
    id: int  # the Purchase id, or the top-up's LedgerEntry id
    card_id: int
    amount_cents: int
    at: datetime
    voided: bool
    voidable: bool


async def usable_coupons(shop_id: int, user_id: int, *, now: datetime) -> list[WalletItem]:
    """The customer's unused, unexpired coupons of this shop that are not paused."""
    wallet = await coupons.wallet(user_id, now=now)
    return [
        item
        for item in wallet["active"]
        if item.coupon.shop_id == shop_id  # type: ignore[attr-defined]
        and item.claim.status == ClaimStatus.ACTIVE
        and item.coupon.status == CouponStatus.ACTIVE
    ]


async def _void_days(card: MemberCard) -> int:
    program = await CardProgram.get_or_none(shop_id=card.shop_id)  # type: ignore[attr-defined]
    return program.void_days if program is not None else 0


async def _voided_top_ups(card_id: int) -> set[int]:
    """Top-up entries already reversed (the ledger keys a top-up's void `void-t:<entry id>`)."""
    keys = await LedgerEntry.filter(
        card_id=card_id, kind=LedgerKind.VOID, key__startswith=VOID_TOP_UP_KEY
    ).values_list("key", flat=True)
    ids = (k.removeprefix(VOID_TOP_UP_KEY) for k in keys if k)
    return {int(i) for i in ids if i.isdigit()}


async def recent_activity(
    card_id: int, *, now: datetime, limit: int = RECENT
) -> tuple[int, list[Activity]]:
    """The program's void days and the card's latest purchases and top-ups, newest first."""
    card = await MemberCard.get_or_none(id=card_id)
    if card is None:
        raise CardError("not_found")
    days = await _void_days(card)
    since = now - timedelta(days=days)
    purchases = await Purchase.filter(card_id=card_id).order_by("-created_at", "-id").limit(limit)
    top_ups = (
        await LedgerEntry.filter(card_id=card_id, kind=LedgerKind.TOP_UP)
        .order_by("-created_at", "-id")
        .limit(limit)
    )
    voided_top_ups = await _voided_top_ups(card_id)
    items = [
        Activity(
            "purchase",
            p.id,
            card_id,
            p.amount_cents,
            p.created_at,
            p.voided_at is not None,
            p.voided_at is None and p.created_at >= since,
        )
        for p in purchases
    ] + [
        Activity(
            "top_up",
            e.id,
            card_id,
            e.amount_cents or e.balance_delta,
            e.created_at,
            e.id in voided_top_ups,
            e.id not in voided_top_ups and e.created_at >= since,
        )
        for e in top_ups
    ]
    items.sort(key=lambda a: a.at, reverse=True)
    return days, items[:limit]


async def purchase_activity(purchase_id: int) -> Activity:
    p = await Purchase.get_or_none(id=purchase_id, card_id__isnull=False)
    if p is None:
        raise CardError("not_found")
    return Activity(
        "purchase",
        p.id,
        p.card_id,
        p.amount_cents,
        p.created_at,
        p.voided_at is not None,
        True,  # type: ignore[attr-defined]
    )


async def top_up_activity(entry_id: int) -> Activity:
    e = await LedgerEntry.get_or_none(id=entry_id, kind=LedgerKind.TOP_UP)
    if e is None:
        raise CardError("not_found")
    voided = e.id in await _voided_top_ups(e.card_id)  # type: ignore[attr-defined]
    return Activity(
        "top_up",
        e.id,
        e.card_id,
        e.amount_cents or e.balance_delta,
        e.created_at,
        voided,
        True,  # type: ignore[attr-defined]
    )


async def top_up_bonus(shop_id: int, cents: int) -> int:
    """The bonus a top-up of `cents` brings (ledger.best_bonus, as ledger.top_up gives it)."""
    program = await CardProgram.get_or_none(shop_id=shop_id)
    if program is None:
        return 0
    return ledger.best_bonus(await TopUpBonus.filter(program_id=program.id), cents)


async def purchase_by_key(key: str) -> Purchase | None:
    return await Purchase.get_or_none(key=key)


async def note_spend_messages(
    request_id: int, *, staff_chat_id: int, staff_message_id: int, customer_message_id: int
) -> None:
    """Where the request was shown, so the customer's answer edits both messages."""
    await SpendRequest.filter(id=request_id).update(
        staff_chat_id=staff_chat_id,
        staff_message_id=staff_message_id,
        customer_message_id=customer_message_id,
    )


async def pending_spend_for(request_id: int, user_id: int, *, now: datetime) -> SpendRequest | None:
    """The request if it is on this customer's card and still waiting for them."""
    request = await SpendRequest.get_or_none(
        id=request_id, card__user_id=user_id, status=SpendStatus.PENDING
    )
    if request is None or now >= request.expires_at:
        return None
    return request


async def expire_if_due(request_id: int, user_id: int, *, now: datetime) -> SpendRequest | None:
    """The customer's request, marked expired now if its time has passed while it waited
    (then both chats are told); None if it is not theirs, not pending or not due."""
    request = await SpendRequest.get_or_none(
        id=request_id, card__user_id=user_id, status=SpendStatus.PENDING, expires_at__lte=now
    )
    if request is None:
        return None
    changed = await SpendRequest.filter(id=request.id, status=SpendStatus.PENDING).update(
        status=SpendStatus.EXPIRED, decided_at=now
    )
    return request if changed else None
