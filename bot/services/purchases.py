"""Purchases recorded at the counter by a shop's staff, with this module's refusals. There is
one way a purchase is recorded: bot.services.ledger (purchase row, the member's points, the
customer record's visits and spend, all in one transaction); this checks the plain case and
calls it. A purchase of a card member earns points here as at the counter."""

from __future__ import annotations

import uuid
from datetime import datetime

from bot.models import Purchase, User
from bot.services import ledger
from bot.services.coupons import MAX_CENTS
from bot.services.staff import works_at


class PurchaseError(Exception):
    """A purchase refused: bad_amount, not_staff (the recorder does not work at the shop),
    unknown_customer, own_purchase (staff recording their own purchase)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


async def record_purchase(
    shop_id: int,
    user_id: int,
    amount_cents: int,
    staff_id: int,
    *,
    now: datetime,
    key: str | None = None,
) -> Purchase:
    """Record that the person bought for `amount_cents` at the shop, entered by `staff_id`
    (`key`: the confirmation's idempotency key; none: a new purchase each call)."""
    if not 1 <= amount_cents <= MAX_CENTS:
        raise PurchaseError("bad_amount", max=MAX_CENTS)
    if not await works_at(staff_id, shop_id):
        raise PurchaseError("not_staff")
    if user_id == staff_id:
        raise PurchaseError("own_purchase")
    if not await User.exists(id=user_id):
        raise PurchaseError("unknown_customer")
    result = await ledger.record_purchase(
        shop_id, user_id, amount_cents, staff_id, key=key or f"p:{uuid.uuid4().hex}", now=now
    )
    return result.purchase
