"""Reviews, one per user per shop, editable, with one owner reply."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Review(Model):
    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="reviews", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="reviews", on_delete=fields.CASCADE)
    stars = fields.SmallIntField()
    text = fields.TextField(default="")
    verified = fields.BooleanField(default=False)
    reply = fields.TextField(null=True)
    replied_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "reviews"
        unique_together = (("shop", "user"),)
        indexes = (("shop_id", "verified", "updated_at"),)
