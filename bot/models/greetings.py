"""Birthday and holiday greetings: each shop's settings, its per-holiday choices, the log that
makes every greeting go out at most once, and people's opt-outs.

`GreetingLog` is the idempotency key of the greeting job: one row per (person, shop, occasion,
year), written in the same transaction as the outbox row that carries the greeting, so two job
runs at once, a restart or a catch-up after downtime can never greet anyone twice."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class GreetingAudience(StrEnum):
    """Whom a shop greets."""

    MEMBERS = "members"  # card members only
    CUSTOMERS = "customers"  # every customer (bot.services.customers.IS_CUSTOMER)
    FOLLOWERS = "followers"  # customers and followers


class GreetingSettings(Model):
    """One per shop, created lazily with the defaults (bot.services.greetings.settings_of)."""

    id = fields.IntField(primary_key=True)
    shop = fields.OneToOneField(
        "models.Shop", related_name="greeting_settings", on_delete=fields.CASCADE
    )
    enabled = fields.BooleanField(default=True)
    audience = fields.CharEnumField(
        GreetingAudience, max_length=12, default=GreetingAudience.CUSTOMERS
    )
    birthday_on = fields.BooleanField(default=True)
    birthday_days_before = fields.SmallIntField(default=3)  # 0..7
    birthday_text = fields.TextField(null=True)  # None: the catalogue's default text
    birthday_coupon = fields.ForeignKeyField(
        "models.Coupon", related_name="birthday_of", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "greeting_settings"


class HolidayGreeting(Model):
    """A shop's choice for one holiday. No row: on, with the default text and no coupon."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField(
        "models.Shop", related_name="holiday_greetings", on_delete=fields.CASCADE
    )
    occasion = fields.CharField(max_length=24)  # bot.services.occasions.OCCASIONS key
    enabled = fields.BooleanField(default=True)
    text = fields.TextField(null=True)  # None: the catalogue's default text
    coupon = fields.ForeignKeyField(
        "models.Coupon", related_name="holiday_of", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "holiday_greetings"
        unique_together = (("shop", "occasion"),)


class GreetingLog(Model):
    """A greeting queued: at most one per person, shop, occasion ("birthday" or a holiday key)
    and year. `outbox_id` is the row that carried it (possibly bundled with other shops')."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="greetings", on_delete=fields.CASCADE)
    shop = fields.ForeignKeyField(
        "models.Shop", related_name="greetings_sent", on_delete=fields.CASCADE
    )
    occasion = fields.CharField(max_length=24)
    year = fields.SmallIntField()
    outbox_id = fields.BigIntField(null=True)
    claim_id = fields.IntField(null=True)  # the coupon granted with it
    created_at = fields.DatetimeField()  # the bot's clock (the weekly cap counts from it)

    class Meta:
        table = "greeting_log"
        unique_together = (("user", "shop", "occasion", "year"),)
        indexes = (("shop_id", "user_id", "created_at"),)


class GreetingOptOut(Model):
    """A person wants no greetings from a shop, or (shop NULL) from any shop."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="greeting_opt_outs", on_delete=fields.CASCADE
    )
    shop = fields.ForeignKeyField(
        "models.Shop", related_name="greeting_opt_outs", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "greeting_opt_outs"
        unique_together = (("user", "shop"),)
