"""Follows, promotions and the outbox every broadcast goes through."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Follow(Model):
    """A shop followed, or a category followed within a radius of a point."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="follows", on_delete=fields.CASCADE)
    shop = fields.ForeignKeyField(
        "models.Shop", related_name="followers", null=True, on_delete=fields.CASCADE
    )
    category = fields.CharField(max_length=32, null=True)
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    radius_m = fields.IntField(null=True)
    muted = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "follows"
        unique_together = (("user", "shop"), ("user", "category"))
        indexes = (("category", "muted"),)


class PromotionAudience(StrEnum):
    FOLLOWERS = "followers"
    CATEGORY = "category"  # consumers following the shop's category within their radius
    CUSTOMERS = "customers"  # the shop's customers (bot.services.customers.customers_of)


class PromotionStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    SENT = "sent"
    ENDED = "ended"  # a flash deal whose time or stock ran out


class Promotion(Model):
    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField(
        "models.Shop", related_name="promotions", on_delete=fields.CASCADE
    )
    author = fields.ForeignKeyField(
        "models.User", related_name="promotions", null=True, on_delete=fields.SET_NULL
    )
    text = fields.TextField()
    photo_file_id = fields.CharField(max_length=255, null=True)
    coupon = fields.ForeignKeyField(
        "models.Coupon", related_name="promotions", null=True, on_delete=fields.SET_NULL
    )
    audience = fields.CharEnumField(PromotionAudience, max_length=16)
    is_flash = fields.BooleanField(default=False)
    ends_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(PromotionStatus, max_length=8, default=PromotionStatus.DRAFT)
    reached = fields.IntField(default=0)
    progress_chat_id = fields.BigIntField(null=True)
    progress_message_id = fields.BigIntField(null=True)
    # Made when the merchant sees the preview, carried by its Send button: one campaign per
    # key, however often (or after however many restarts) Send is pressed.
    launch_key = fields.CharField(
        max_length=32,
        null=True,
        unique=True,
        description="Idempotency key of the Send button that launched it",
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "promotions"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot
    FAILED = "failed"  # gave up after retries
    SKIPPED = "skipped"  # quiet hours outlived a flash deal, daily cap, unreachable


class Outbox(Model):
    """One message to one person. Unique (campaign, user): nobody gets a campaign twice, even
    across restarts. A worker claims rows by conditional update before sending."""

    id = fields.BigIntField(primary_key=True)
    campaign = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)  # promo, flash, reminder, greeting
    user = fields.ForeignKeyField("models.User", related_name="outbox", on_delete=fields.CASCADE)
    # The shop the message speaks for (None: the bot itself), for the weekly per-shop cap.
    shop = fields.ForeignKeyField(
        "models.Shop", related_name="outbox", null=True, on_delete=fields.SET_NULL
    )
    payload = fields.JSONField(default=dict)
    status = fields.CharEnumField(OutboxStatus, max_length=8, default=OutboxStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    not_before = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True)
    chat_message_id = fields.BigIntField(null=True)
    sent_at = fields.DatetimeField(null=True)
    error = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox"
        unique_together = (("campaign", "user"),)
        indexes = (
            ("status", "not_before"),
            ("user_id", "kind", "sent_at"),
            ("shop_id", "user_id", "sent_at"),
        )
