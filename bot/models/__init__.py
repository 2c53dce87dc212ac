"""Tortoise models, one module per domain."""

from bot.models.care import (
    Complaint,
    ComplaintStatus,
    Survey,
    SurveySource,
    SurveyStatus,
)
from bot.models.coupons import Audience, ClaimStatus, Coupon, CouponClaim, CouponKind, CouponStatus
from bot.models.customers import Customer, CustomerEvent, Purchase
from bot.models.invites import StaffInvite
from bot.models.marketing import (
    Follow,
    Outbox,
    OutboxStatus,
    Promotion,
    PromotionAudience,
    PromotionStatus,
)
from bot.models.reviews import Review
from bot.models.shops import (
    Service,
    Shop,
    ShopChange,
    ShopGeo,
    ShopPhoto,
    ShopStatus,
    Staff,
    StaffRole,
)
from bot.models.users import Place, User

__all__ = [
    "Audience",
    "ClaimStatus",
    "Complaint",
    "ComplaintStatus",
    "Coupon",
    "CouponClaim",
    "CouponKind",
    "CouponStatus",
    "Customer",
    "CustomerEvent",
    "Follow",
    "Outbox",
    "OutboxStatus",
    "Place",
    "Promotion",
    "PromotionAudience",
    "PromotionStatus",
    "Purchase",
    "Review",
    "Service",
    "Shop",
    "ShopChange",
    "ShopGeo",
    "ShopPhoto",
    "ShopStatus",
    "Staff",
    "StaffInvite",
    "StaffRole",
    "Survey",
    "SurveySource",
    "SurveyStatus",
    "User",
]
