"""Tortoise models, one module per domain."""

from bot.models.cards import (
    BotSecret,
    CardProgram,
    LedgerEntry,
    LedgerKind,
    MemberCard,
    PasswordReset,
    ResetStatus,
    Reward,
    SpendRequest,
    SpendStatus,
    Tier,
    TopUpBonus,
)
from bot.models.coupons import Audience, ClaimStatus, Coupon, CouponClaim, CouponKind, CouponStatus
from bot.models.customers import Customer, CustomerEvent, Purchase
from bot.models.greetings import (
    GreetingAudience,
    GreetingLog,
    GreetingOptOut,
    GreetingSettings,
    HolidayGreeting,
)
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
    "BotSecret",
    "CardProgram",
    "ClaimStatus",
    "Coupon",
    "CouponClaim",
    "CouponKind",
    "CouponStatus",
    "Customer",
    "CustomerEvent",
    "Follow",
    "GreetingAudience",
    "GreetingLog",
    "GreetingOptOut",
    "GreetingSettings",
    "HolidayGreeting",
    "LedgerEntry",
    "LedgerKind",
    "MemberCard",
    "Outbox",
    "OutboxStatus",
    "PasswordReset",
    "Place",
    "Promotion",
    "PromotionAudience",
    "PromotionStatus",
    "Purchase",
    "ResetStatus",
    "Review",
    "Reward",
    "Service",
    "Shop",
    "ShopChange",
    "ShopGeo",
    "ShopPhoto",
    "ShopStatus",
    "SpendRequest",
    "SpendStatus",
    "Staff",
    "StaffInvite",
    "StaffRole",
    "Tier",
    "TopUpBonus",
    "User",
]
