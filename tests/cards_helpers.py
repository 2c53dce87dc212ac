"""Building blocks for card tests of every branch: a shop with an owner and a clerk, a program
with tiers, members. Plain async functions over the services (no Telegram)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.config import CardSettings
from bot.models import CardProgram, MemberCard, Shop, Staff, StaffRole, Tier, TopUpBonus, User
from bot.services import card_common, cards
from bot.services.shops import ShopDraft, create_shop

#: Cheap scrypt for tests (production keeps the config's slow default).
FAST = CardSettings(scrypt_n=2**4, scrypt_r=1, scrypt_p=1)


def fast_passwords() -> None:
    card_common.configure(FAST)


#: Silver at ¥500 cumulative (or one ¥1000 top-up), gold at ¥2000.
TIERS: tuple[dict[str, Any], ...] = (
    {"rank": 0, "name": "Member", "colour": "#888888", "points_per_unit": 1},
    {
        "rank": 1,
        "name": "Silver",
        "colour": "#C0C0C0",
        "points_per_unit": 2,
        "discount_percent": 5,
        "threshold_spend_cents": 50_000,
        "threshold_topup_cents": 100_000,
    },
    {
        "rank": 2,
        "name": "Gold",
        "colour": "#FFD700",
        "points_per_unit": 3,
        "discount_percent": 10,
        "threshold_spend_cents": 200_000,
    },
)


async def a_shop(owner_id: int, clerk_id: int | None = None, name: str = "Lao Wang") -> Shop:
    for uid in (owner_id, clerk_id):
        if uid is not None and not await User.exists(id=uid):
            await User.create(id=uid, first_name=f"u{uid}")
    draft = ShopDraft(name=name, category="dining", lat=31.2, lng=121.5)
    shop = await create_shop(owner_id, draft, require_approval=False)
    if clerk_id is not None:
        await Staff.create(shop=shop, user_id=clerk_id, role=StaffRole.CLERK)
    return shop


async def a_program(
    shop: Shop, tiers: tuple[dict[str, Any], ...] = TIERS, **changes: Any
) -> CardProgram:
    """A program with stored value, 100 points = ¥1, top up ¥500 get ¥50 (override any field)."""
    fields = {
        "stored_value": True,
        "points_per_currency_unit_off": 100,
        "void_days": 7,
        "daily_alert_limit": 20,
    } | changes
    program = await CardProgram.create(shop=shop, **fields)
    for tier in tiers:
        await Tier.create(program=program, **tier)
    await TopUpBonus.create(program=program, min_cents=50_000, bonus_cents=5_000)
    return program


async def a_member(shop: Shop, user_id: int, now: datetime | None = None) -> MemberCard:
    if not await User.exists(id=user_id):
        await User.create(id=user_id, first_name=f"u{user_id}")
    return await cards.join(shop.id, user_id, now=now or datetime(2025, 3, 1, tzinfo=UTC))
