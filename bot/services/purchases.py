"""Purchases recorded at the counter by a shop's staff. The purchase row and the customer
record (visits, spend, last visit) are written in one transaction, so the directory and the
membership-card counter that will call this never see one without the other."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from bot.models import CustomerEvent, Purchase, SurveySource, User
from bot.services import care, customers
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
    shop_id: int, user_id: int, amount_cents: int, staff_id: int, *, now: datetime
) -> Purchase:
    """Record that the person bought for `amount_cents` at the shop, entered by `staff_id`."""
    if not 1 <= amount_cents <= MAX_CENTS:
        raise PurchaseError("bad_amount", max=MAX_CENTS)
    if not await works_at(staff_id, shop_id):
        raise PurchaseError("not_staff")
    if user_id == staff_id:
        raise PurchaseError("own_purchase")
    if not await User.exists(id=user_id):
        raise PurchaseError("unknown_customer")
    async with in_transaction():
        purchase = await Purchase.create(
            shop_id=shop_id,
            user_id=user_id,
            amount_cents=amount_cents,
            staff_id=staff_id,
            created_at=now,
        )
        await customers.record_event(
            shop_id, user_id, CustomerEvent.PURCHASE, at=now, amount_cents=amount_cents
        )
        await care.survey_after_visit(
            shop_id, user_id, SurveySource.PURCHASE, purchase.id, at=now
        )
    return purchase
