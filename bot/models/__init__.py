"""Tortoise models, one module per domain."""

from bot.models.customers import Purchase
from bot.models.reviews import Review
from bot.models.shops import Service, Shop, ShopGeo, ShopPhoto, ShopStatus, Staff, StaffRole
from bot.models.users import Place, User

__all__ = [
    "Place",
    "Purchase",
    "Review",
    "Service",
    "Shop",
    "ShopGeo",
    "ShopPhoto",
    "ShopStatus",
    "Staff",
    "StaffRole",
    "User",
]
