"""Coupons and the claims customers hold. Stock and single use are guarded by conditional
updates plus unique constraints, so they hold on SQLite (no row locks) and PostgreSQL alike."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CouponKind(StrEnum):
    PERCENT = "percent"  # value = percent off (1..99)
    AMOUNT = "amount"  # value = cents off
    VOUCHER = "voucher"  # value = cents of cash value
    GIFT = "gift"  # value unused, title names the gift or service


class CouponStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class Audience(StrEnum):
    EVERYONE = "everyone"
    NEW_CUSTOMERS = "new"  # first-time at the shop (bot.services.customers.is_first_time)
    TIER = "tier"  # members of one card tier (membership cards arrive later)


class Coupon(Model):
    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="coupons", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(CouponKind, max_length=8)
    value = fields.BigIntField(default=0)
    title = fields.CharField(max_length=64)
    terms = fields.TextField(default="")
    min_spend_cents = fields.BigIntField(default=0)
    stock = fields.IntField(null=True)  # None: unlimited
    claimed_count = fields.IntField(default=0)
    redeemed_count = fields.IntField(default=0)
    per_user_limit = fields.SmallIntField(default=1)
    valid_from = fields.DatetimeField(null=True)
    valid_until = fields.DatetimeField(null=True)  # fixed range end
    valid_days = fields.SmallIntField(null=True)  # or N days from claim
    audience = fields.CharEnumField(Audience, max_length=8, default=Audience.EVERYONE)
    audience_tier = fields.IntField(null=True)
    status = fields.CharEnumField(CouponStatus, max_length=8, default=CouponStatus.ACTIVE)
    flash_ends_at = fields.DatetimeField(null=True)  # set for flash-deal coupons
    # Given to chosen people (birthday, holiday greetings: bot.services.coupons.grant), never
    # listed on the shop page nor claimable there.
    granted = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "coupons"
        indexes = (("shop_id", "status"),)


class ClaimStatus(StrEnum):
    ACTIVE = "active"
    REDEEMED = "redeemed"


class CouponClaim(Model):
    """One claimed coupon in a customer's wallet. `seq` numbers a user's claims of one coupon:
    unique (coupon, user, seq) makes two concurrent claims past the per-person limit collide."""

    id = fields.IntField(primary_key=True)
    coupon = fields.ForeignKeyField(
        "models.Coupon", related_name="claims", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField("models.User", related_name="claims", on_delete=fields.CASCADE)
    seq = fields.SmallIntField(default=1)
    code = fields.CharField(max_length=16, unique=True)
    status = fields.CharEnumField(ClaimStatus, max_length=8, default=ClaimStatus.ACTIVE)
    claimed_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    redeemed_at = fields.DatetimeField(null=True)
    redeemed_by = fields.ForeignKeyField(
        "models.User", related_name="redeemed_claims", null=True, on_delete=fields.SET_NULL
    )
    promotion_id = fields.IntField(null=True)  # which push led to the claim, for results
    reminded = fields.BooleanField(default=False)

    class Meta:
        table = "coupon_claims"
        unique_together = (("coupon", "user", "seq"),)
        indexes = (("user_id", "status"), ("status", "expires_at"))
