"""What a shop knows of a person: the customer record (the one definition of "customer of a
shop") and recorded purchases, the evidence behind verified reviews and, later, card points."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CustomerEvent(StrEnum):
    """What a person did at a shop; the first one is how they came (`Customer.source`)."""

    FOLLOW = "follow"
    CLAIM = "claim"
    REDEEM = "redeem"
    PURCHASE = "purchase"
    JOIN = "join"  # joined the shop's membership card


class Customer(Model):
    """One row per (shop, person) who followed, claimed, redeemed or bought there, kept by
    bot/services/customers.py in the same transaction as each event. The first time of each
    kind is kept (never cleared), so readers ask questions of one row:
    customer = `customer_since` set (claimed, redeemed or bought; following alone is not);
    verified = redeemed or bought; came through follow = `source` is follow.

    `sole_coupon_id` is the one coupon the person has claimed here, while there is just one
    (NULL before the first claim and after a second, different coupon): with no visit yet, a
    first-time coupon is open to them only if it is that one. The claim transaction changes
    it by conditional UPDATE, so of two first-time coupons claimed at once only one wins."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="customers", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField(
        "models.User", related_name="customer_of", on_delete=fields.CASCADE
    )
    source = fields.CharEnumField(CustomerEvent, max_length=8)
    first_seen = fields.DatetimeField()
    last_seen = fields.DatetimeField()
    customer_since = fields.DatetimeField(null=True)  # first claim, redemption or purchase
    followed_at = fields.DatetimeField(null=True)  # first follow (following now: Follow)
    claimed_at = fields.DatetimeField(null=True)  # first claim
    sole_coupon_id = fields.IntField(null=True)
    redeemed_at = fields.DatetimeField(null=True)  # first redemption
    bought_at = fields.DatetimeField(null=True)  # first purchase
    last_visit_at = fields.DatetimeField(null=True)  # latest redemption or purchase
    visits = fields.IntField(default=0)  # redemptions and purchases
    spend_cents = fields.BigIntField(default=0)  # sum of purchases
    welcomed_at = fields.DatetimeField(null=True)  # the shop's welcome after the first visit

    class Meta:
        table = "customers"
        unique_together = (("shop", "user"),)
        indexes = (("shop_id", "customer_since"), ("shop_id", "last_visit_at"))


class Purchase(Model):
    """A purchase recorded by shop staff. Later issues attach cards, points and ledgers."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="purchases", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="purchases", on_delete=fields.CASCADE)
    amount_cents = fields.BigIntField()
    staff = fields.ForeignKeyField(
        "models.User", related_name="recorded_purchases", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "purchases"
        indexes = (("shop_id", "user_id"),)
