"""Shops, their staff, photos, services and the geographic search index."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class ShopStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class StaffRole(StrEnum):
    OWNER = "owner"
    CLERK = "clerk"


class Shop(Model):
    id = fields.IntField(primary_key=True)
    owner = fields.ForeignKeyField("models.User", related_name="shops", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=64)
    category = fields.CharField(max_length=32, db_index=True)
    lat = fields.FloatField()
    lng = fields.FloatField()
    address = fields.CharField(max_length=200, default="")
    phone = fields.CharField(max_length=20, default="")
    hours = fields.JSONField(default=dict)
    timezone = fields.CharField(max_length=40, default="Asia/Shanghai")
    description = fields.TextField(default="")
    status = fields.CharEnumField(ShopStatus, max_length=16, default=ShopStatus.PENDING)
    rating_sum = fields.IntField(default=0)
    rating_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "shops"


class ShopChange(Model):
    """A merchant's change to an approved shop's name, category or location (address included),
    waiting for an operator: customers keep seeing the live values until it is approved. One
    per shop (a later edit replaces it with a new row, so review buttons for the older content
    stop working); NULL fields are not changed."""

    id = fields.IntField(primary_key=True)
    shop = fields.OneToOneField(
        "models.Shop", related_name="pending_change", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64, null=True)
    category = fields.CharField(max_length=32, null=True)
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    address = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shop_changes"


class ShopPhoto(Model):
    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="photos", on_delete=fields.CASCADE)
    file_id = fields.CharField(max_length=255)
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "shop_photos"
        ordering = ["position", "id"]


class Staff(Model):
    """Who may act for a shop: its owner and clerks."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="staff", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="staff_of", on_delete=fields.CASCADE)
    role = fields.CharEnumField(StaffRole, max_length=8, default=StaffRole.CLERK)

    class Meta:
        table = "staff"
        unique_together = (("shop", "user"),)


class Service(Model):
    """A service or product a shop sells, price in integer cents."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="services", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)
    price_cents = fields.BigIntField()
    description = fields.TextField(default="")
    photo_file_id = fields.CharField(max_length=255, null=True)
    hidden = fields.BooleanField(default=False)
    position = fields.IntField(default=0)

    class Meta:
        table = "services"
        ordering = ["position", "id"]


class ShopGeo(Model):
    """Search index of *approved* shops only: pending and rejected shops are never in it.

    `band` is floor(lat / BAND_DEG). The covering index (category, band, lng, lat, shop_id)
    lets a radius query seek only the few latitude bands the circle touches and range-scan
    longitude inside each, reading no table rows and building no ORM objects. See
    bot/services/search.py for why this beats a plain (category, lat, lng) box.
    """

    shop = fields.OneToOneField(
        "models.Shop", related_name="geo", primary_key=True, on_delete=fields.CASCADE
    )
    category = fields.CharField(max_length=32)
    band = fields.IntField()
    lat = fields.FloatField()
    lng = fields.FloatField()

    class Meta:
        table = "shop_geo"
        indexes = (
            Index(fields=("category", "band", "lng", "lat", "shop_id"), name="shop_geo_cat_band"),
            Index(fields=("band", "lng", "lat", "shop_id"), name="shop_geo_band"),
        )
