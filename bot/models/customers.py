"""What a shop knows of a person: the customer record (the one definition of "customer of a
shop") and recorded purchases, the evidence behind verified reviews and, later, card points."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import QuerySet


class CustomerEvent(StrEnum):
    """What a person did at a shop; the first one is how they came (`Customer.source`)."""

    FOLLOW = "follow"
    CLAIM = "claim"
    REDEEM = "redeem"
    PURCHASE = "purchase"
    JOIN = "join"  # joined the shop's membership card (a customer; not a visit)


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
    joined_at = fields.DatetimeField(null=True)  # joined the shop's card
    last_visit_at = fields.DatetimeField(null=True)  # latest redemption or purchase
    visits = fields.IntField(default=0)  # redemptions and purchases
    spend_cents = fields.BigIntField(default=0)  # sum of purchases
    welcomed_at = fields.DatetimeField(null=True)  # the shop's welcome after the first visit

    class Meta:
        table = "customers"
        unique_together = (("shop", "user"),)
        # user_id: a person's records (the daily birthday selection joins users to them)
        indexes = (
            ("shop_id", "customer_since"),
            ("shop_id", "last_visit_at"),
            ("user_id", "shop_id"),
        )


class Purchase(Model):
    """A purchase recorded by shop staff, with what a membership card did to it (points earned
    and spent, stored value spent, tier and coupon discount). `key` makes a confirmation
    tapped twice one purchase. A voided purchase stays for the record; every reader of
    purchases leaves it out (`Purchase.valid()`)."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="purchases", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="purchases", on_delete=fields.CASCADE)
    amount_cents = fields.BigIntField()
    staff = fields.ForeignKeyField(
        "models.User", related_name="recorded_purchases", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    card = fields.ForeignKeyField(
        "models.MemberCard", related_name="purchases", null=True, on_delete=fields.SET_NULL
    )
    points_earned = fields.BigIntField(default=0, db_default=0)
    points_spent = fields.BigIntField(default=0, db_default=0)
    value_spent_cents = fields.BigIntField(default=0, db_default=0)
    discount_cents = fields.BigIntField(default=0, db_default=0)  # tier discount plus the coupon's
    coupon_claim = fields.ForeignKeyField(
        "models.CouponClaim", related_name="purchases", null=True, on_delete=fields.SET_NULL
    )
    key = fields.CharField(max_length=64, unique=True, null=True)
    voided_at = fields.DatetimeField(null=True)
    voided_by = fields.ForeignKeyField(
        "models.User", related_name="voided_purchases", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "purchases"
        indexes = (("shop_id", "user_id"), ("card_id", "created_at"))

    @classmethod
    def valid(cls) -> QuerySet[Purchase]:
        """Purchases that count: every reader starts here (voided ones are left out)."""
        return cls.filter(voided_at__isnull=True)
