"""People: one row per Telegram user, plus their saved places."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """A Telegram user, whose primary key is the Telegram user id."""

    id = fields.BigIntField(primary_key=True, generated=False)
    first_name = fields.CharField(max_length=128, default="")
    username = fields.CharField(max_length=64, null=True)
    language = fields.CharField(max_length=8, default="en")
    is_consumer = fields.BooleanField(default=False)
    is_merchant = fields.BooleanField(default=False)
    role_chosen = fields.BooleanField(default=False)
    name = fields.CharField(max_length=64, null=True)
    phone = fields.CharField(max_length=20, null=True)
    birthday = fields.DateField(null=True)
    # month * 100 + day of `birthday` (1 May → 501), indexed for the daily greeting selection;
    # written with every birthday change (bot.services.users.birth_md_of).
    birth_md = fields.SmallIntField(null=True)
    timezone = fields.CharField(max_length=40, default="Asia/Shanghai")
    default_radius_m = fields.IntField(default=2000)
    profile_reminded = fields.BooleanField(default=False)
    reachable = fields.BooleanField(default=True)  # False once Telegram says 403 (blocked)
    quiet_start = fields.SmallIntField(default=22 * 60)  # minutes after local midnight
    quiet_end = fields.SmallIntField(default=8 * 60)
    max_pushes_per_day = fields.SmallIntField(null=True)  # None: the config default
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"
        indexes = (("birth_md",),)


class Place(Model):
    """A saved place (home, work) used for searches and follows."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="places", on_delete=fields.CASCADE
    )
    label = fields.CharField(max_length=16)
    lat = fields.FloatField()
    lng = fields.FloatField()

    class Meta:
        table = "places"
        unique_together = (("user", "label"),)
