"""The card program as a draft: what validate refuses, and what save writes — in one go,
idempotently, keeping members (and tier coupons) when tiers are renamed, reordered or removed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.models import (
    Audience,
    CardProgram,
    Coupon,
    CouponKind,
    MemberCard,
    Reward,
    Service,
    Tier,
    TopUpBonus,
)
from bot.services import card_programs
from bot.services.card_programs import (
    PALETTE,
    BonusDraft,
    ProgramDraft,
    ProgramError,
    RewardDraft,
    TierDraft,
    default_draft,
    validate,
)
from tests.e2e.helpers import OWNER_ID, make_shop

NOW = datetime(2030, 3, 1, 2, 0, tzinfo=UTC)


def reasons(draft: ProgramDraft) -> list[str]:
    return [p.reason for p in validate(draft)]


def three_tiers() -> ProgramDraft:
    draft = default_draft()
    draft.tiers.append(
        TierDraft("Platinum", PALETTE["black"], 3, 10, threshold_spend_cents=500_000)
    )
    return draft


def test_the_default_draft_is_valid_and_round_trips() -> None:
    draft = default_draft()
    assert validate(draft) == []
    assert ProgramDraft.from_dict(draft.to_dict()) == draft
    assert [t.name for t in draft.tiers] == ["Silver", "Gold"]
    assert draft.points_per_currency_unit_off == 100 and draft.tiers[0].points_per_unit == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.tiers.pop(), "tier_count"),
        (
            lambda d: d.tiers.extend([replace(d.tiers[1], name=f"T{i}") for i in range(5)]),
            "tier_count",
        ),
        (lambda d: setattr(d.tiers[1], "name", "   "), "tier_name"),
        (lambda d: setattr(d.tiers[1], "name", "A" * 17), "tier_name"),
        (lambda d: setattr(d.tiers[1], "name", "silver"), "tier_name_twice"),
        (lambda d: setattr(d.tiers[1], "colour", "#123456"), "tier_colour"),
        (lambda d: setattr(d.tiers[1], "discount_percent", 51), "tier_discount"),
        (lambda d: setattr(d.tiers[1], "discount_percent", -1), "tier_discount"),
        (lambda d: setattr(d.tiers[1], "threshold_spend_cents", 0), "thresholds_order"),
        (lambda d: setattr(d.tiers[0], "threshold_spend_cents", 100), "entry_threshold"),
        (lambda d: setattr(d.tiers[1], "threshold_topup_cents", 50_000), "topup_without_value"),
        (lambda d: d.top_up_bonuses.append(BonusDraft(50_000, 5_000)), "bonus_without_value"),
        (lambda d: d.rewards.append(RewardDraft("Coffee", 0)), "reward_points"),
        (lambda d: setattr(d, "points_expiry_months", 61), "expiry"),
    ],
)
def test_validate_names_what_is_wrong(change, reason: str) -> None:
    draft = default_draft()
    change(draft)
    assert reason in reasons(draft)


def test_thresholds_must_ascend_across_three_tiers() -> None:
    draft = three_tiers()
    assert validate(draft) == []
    draft.tiers[2].threshold_spend_cents = draft.tiers[1].threshold_spend_cents
    assert [(p.reason, p.details["tier"]) for p in validate(draft)] == [("thresholds_order", 2)]
    draft = three_tiers()
    draft.stored_value = True
    draft.tiers[1].threshold_topup_cents = 100_000
    draft.tiers[2].threshold_topup_cents = 50_000
    assert reasons(draft) == ["topup_order"]
    draft.top_up_bonuses.append(BonusDraft(50_000, 60_000))  # a bonus above the top-up
    assert reasons(draft) == ["topup_order", "bonus_amounts"]


@pytest.fixture
async def shop(db):
    return await make_shop("Lao Wang Noodles")


async def rows(shop_id: int) -> list[tuple[int, str, int, int]]:
    return [
        (t.rank, t.name, t.discount_percent, t.threshold_spend_cents)
        for t in await Tier.filter(program__shop_id=shop_id).order_by("rank")
    ]


async def test_save_writes_program_tiers_rewards_and_bonuses(shop) -> None:
    service = await Service.create(shop=shop, name="Beef noodles", price_cents=2800)
    draft = three_tiers()
    draft.stored_value = True
    draft.top_up_bonuses = [BonusDraft(100_000, 15_000), BonusDraft(50_000, 5_000)]
    draft.rewards = [RewardDraft("Beef noodles", 800, service.id), RewardDraft("Free tea", 200)]
    draft.need_phone = True
    draft.points_expiry_months = 12
    program = await card_programs.save(shop.id, OWNER_ID, draft, NOW)
    assert (program.stored_value, program.need_phone, program.points_expiry_months) == (
        True,
        True,
        12,
    )
    assert await rows(shop.id) == [
        (0, "Silver", 0, 0),
        (1, "Gold", 5, 100_000),
        (2, "Platinum", 10, 500_000),
    ]
    assert sorted((r.name, r.points, r.service_id) for r in await Reward.all()) == [  # type: ignore[attr-defined]
        ("Beef noodles", 800, service.id),
        ("Free tea", 200, None),
    ]
    assert [(b.min_cents, b.bonus_cents) for b in await TopUpBonus.all().order_by("min_cents")] == [
        (50_000, 5_000),
        (100_000, 15_000),
    ]
    loaded = await card_programs.load(shop.id)
    assert loaded is not None and [t.name for t in loaded.tiers] == ["Silver", "Gold", "Platinum"]
    assert loaded.top_up_bonuses[0] == BonusDraft(50_000, 5_000)
    # Saving the same again changes nothing.
    await card_programs.save(shop.id, OWNER_ID, loaded, NOW)
    assert await CardProgram.all().count() == 1 and await Tier.all().count() == 3
    assert await Reward.all().count() == 2 and await TopUpBonus.all().count() == 2
    assert await card_programs.load(shop.id) == loaded


async def test_save_refuses_an_invalid_draft_and_another_shops_service(shop) -> None:
    other = await make_shop("Mei Hair", owner_id=OWNER_ID + 1)
    theirs = await Service.create(shop=other, name="Cut", price_cents=5000)
    bad = default_draft()
    bad.tiers.pop()
    with pytest.raises(ProgramError) as refused:
        await card_programs.save(shop.id, OWNER_ID, bad, NOW)
    assert refused.value.reason == "invalid" and refused.value.problems[0].reason == "tier_count"
    stolen = default_draft()
    stolen.rewards.append(RewardDraft("Cut", 100, theirs.id))
    with pytest.raises(ProgramError, match="bad_service"):
        await card_programs.save(shop.id, OWNER_ID, stolen, NOW)
    assert await CardProgram.all().count() == 0 and await Tier.all().count() == 0


async def member(shop, user_id: int, tier: Tier, number: str) -> MemberCard:
    return await MemberCard.create(
        shop=shop, user_id=user_id, number=number, tier=tier, joined_at=NOW, qualified_since=NOW
    )


async def test_changing_the_program_keeps_members_and_moves_a_removed_tiers(shop) -> None:
    await card_programs.save(shop.id, OWNER_ID, three_tiers(), NOW)
    silver, gold, platinum = await Tier.filter(program__shop_id=shop.id).order_by("rank")
    ann = await member(shop, 1, gold, "100000000001")
    bo = await member(shop, 2, platinum, "100000000002")
    coupon = await Coupon.create(
        shop=shop,
        kind=CouponKind.GIFT,
        title="Gift",
        valid_days=30,
        audience=Audience.TIER,
        audience_tier=platinum.id,
    )
    draft = await card_programs.load(shop.id)
    assert draft is not None
    draft.tiers[1].name = "Gold Plus"  # renamed in place: members stay
    del draft.tiers[2]  # Platinum removed: its members and coupons go to Gold Plus
    draft.tiers.insert(
        1, TierDraft("Bronze", PALETTE["orange"], 1, 2, threshold_spend_cents=20_000)
    )
    draft.tiers[2].threshold_spend_cents = 150_000
    await card_programs.save(shop.id, OWNER_ID, draft, NOW)
    assert await rows(shop.id) == [
        (0, "Silver", 0, 0),
        (1, "Bronze", 2, 20_000),
        (2, "Gold Plus", 5, 150_000),
    ]
    assert (await MemberCard.get(id=ann.id)).tier_id == gold.id  # type: ignore[attr-defined]
    assert (await MemberCard.get(id=bo.id)).tier_id == gold.id  # type: ignore[attr-defined]
    assert (await Coupon.get(id=coupon.id)).audience_tier == gold.id
    assert not await Tier.exists(id=platinum.id) and await Tier.exists(id=silver.id)
