"""What a shop knows of a person: recorded purchases, the evidence behind verified reviews."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


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
