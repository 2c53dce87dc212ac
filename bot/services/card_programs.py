"""A shop's membership card program as the owner designs it in /card: a plain value
(`ProgramDraft`) that the flow edits step by step, checked by `validate`, written by `save` in
one transaction, read back by `load`.

Changing a live program keeps members' history: tiers are matched by id (a draft loaded from
the database carries each tier's id), so a renamed or re-coloured tier keeps its members; the
list order is the rank. A tier the owner removed moves its members — and the coupons aimed at
it — to the nearest surviving tier below it (the entry tier when none is below). Thresholds
that changed take effect at each member's next purchase or top-up (bot.services.ledger), not
retroactively: nobody is downgraded by a redesign.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from bot.models import (
    Audience,
    CardProgram,
    Coupon,
    MemberCard,
    Reward,
    Service,
    Tier,
    TopUpBonus,
)
from bot.services.visible import is_blank

MIN_TIERS = 2
MAX_TIERS = 5
NAME_MAX = 16  # the column
REWARD_NAME_MAX = 40
MAX_DISCOUNT = 50
MAX_POINTS_PER_UNIT = 100
MAX_POINTS_PER_UNIT_OFF = 100_000
MAX_CENTS = 100_000_000  # one million currency units
MAX_POINTS = 10_000_000
MAX_REWARDS = 10
MAX_BONUSES = 5
MAX_EXPIRY_MONTHS = 60

#: The colours a tier may take: name (translated as "cards.colour_<name>") -> "#RRGGBB".
PALETTE: dict[str, str] = {
    "silver": "#A8A9AD",
    "gold": "#D4AF37",
    "black": "#1F2937",
    "red": "#B91C1C",
    "blue": "#1E3A8A",
    "green": "#0F766E",
    "purple": "#6D28D9",
    "orange": "#EA580C",
}


@dataclass
class TierDraft:
    name: str
    colour: str
    points_per_unit: int = 1
    discount_percent: int = 0
    threshold_spend_cents: int = 0
    #: a single top-up of at least this reaches the tier; None: not by top-up
    threshold_topup_cents: int | None = None
    #: the saved Tier's id (None for a tier added in this draft)
    id: int | None = None


@dataclass
class RewardDraft:
    name: str
    points: int
    service_id: int | None = None  # a listed service; None: a gift the owner typed


@dataclass
class BonusDraft:
    min_cents: int
    bonus_cents: int


@dataclass
class ProgramDraft:
    tiers: list[TierDraft]
    points_per_currency_unit_off: int = 100  # 0: points cannot pay money
    min_order_cents: int = 0
    max_points_per_order: int = 0  # 0: no cap
    rewards: list[RewardDraft] = field(default_factory=list)
    stored_value: bool = False
    top_up_bonuses: list[BonusDraft] = field(default_factory=list)
    need_name: bool = False
    need_phone: bool = False
    need_birthday: bool = False
    points_expiry_months: int | None = None  # None: never
    requalify_yearly: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain values for a flow's persisted draft."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgramDraft:
        values = dict(data)
        values["tiers"] = [TierDraft(**tier) for tier in data.get("tiers", [])]
        values["rewards"] = [RewardDraft(**r) for r in data.get("rewards", [])]
        values["top_up_bonuses"] = [BonusDraft(**b) for b in data.get("top_up_bonuses", [])]
        return cls(**values)


@dataclass(frozen=True)
class Problem:
    """Why a draft cannot be saved: a stable `reason` the flow translates, with `tier` (index)
    or `item` (index of a reward or bonus) and limits in `details`."""

    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def default_draft() -> ProgramDraft:
    """A sensible start an owner can accept in a tap: Silver for every member, Gold after
    1,000 spent (5 % off, double points); 1 point per unit spent, 100 points pay 1 unit."""
    return ProgramDraft(
        tiers=[
            TierDraft(name="Silver", colour=PALETTE["silver"]),
            TierDraft(
                name="Gold",
                colour=PALETTE["gold"],
                points_per_unit=2,
                discount_percent=5,
                threshold_spend_cents=100_000,
            ),
        ],
        points_per_currency_unit_off=100,
    )


# ------------------------------------------------------------------------------ checking


def clean_name(text: str, limit: int = NAME_MAX) -> str | None:
    """A tier or reward name as typed: one line, trimmed; None if blank or too long."""
    name = " ".join(text.split())
    return None if is_blank(name) or len(name) > limit else name


def validate(draft: ProgramDraft) -> list[Problem]:
    """Everything that stops the draft from being saved, in the order the flow shows it."""
    problems: list[Problem] = []
    tiers = draft.tiers
    if not MIN_TIERS <= len(tiers) <= MAX_TIERS:
        problems.append(Problem("tier_count", {"min": MIN_TIERS, "max": MAX_TIERS}))
    seen: set[str] = set()
    for i, tier in enumerate(tiers):
        where = {"tier": i, "name": tier.name}
        if clean_name(tier.name) != tier.name:
            problems.append(Problem("tier_name", where | {"max": NAME_MAX}))
        elif tier.name.casefold() in seen:
            problems.append(Problem("tier_name_twice", where))
        seen.add(tier.name.casefold())
        if tier.colour not in PALETTE.values():
            problems.append(Problem("tier_colour", where))
        if not 0 <= tier.points_per_unit <= MAX_POINTS_PER_UNIT:
            problems.append(Problem("tier_points", where | {"max": MAX_POINTS_PER_UNIT}))
        if not 0 <= tier.discount_percent <= MAX_DISCOUNT:
            problems.append(Problem("tier_discount", where | {"max": MAX_DISCOUNT}))
        if not 0 <= tier.threshold_spend_cents <= MAX_CENTS:
            problems.append(Problem("tier_threshold", where))
        topup = tier.threshold_topup_cents
        if topup is not None and not 0 < topup <= MAX_CENTS:
            problems.append(Problem("tier_threshold", where))
    if tiers and (tiers[0].threshold_spend_cents != 0 or tiers[0].threshold_topup_cents):
        problems.append(Problem("entry_threshold", {"tier": 0, "name": tiers[0].name}))
    for i in range(1, len(tiers)):
        if tiers[i].threshold_spend_cents <= tiers[i - 1].threshold_spend_cents:
            problems.append(Problem("thresholds_order", {"tier": i, "name": tiers[i].name}))
    topups = [(i, t.threshold_topup_cents) for i, t in enumerate(tiers) if t.threshold_topup_cents]
    for (_, lower), (i, higher) in itertools.pairwise(topups):
        if higher is not None and lower is not None and higher <= lower:
            problems.append(Problem("topup_order", {"tier": i, "name": tiers[i].name}))
    if topups and not draft.stored_value:
        problems.append(Problem("topup_without_value", {}))
    problems += _spending_problems(draft)
    return problems


def _spending_problems(draft: ProgramDraft) -> list[Problem]:
    problems: list[Problem] = []
    if not 0 <= draft.points_per_currency_unit_off <= MAX_POINTS_PER_UNIT_OFF:
        problems.append(Problem("points_off", {"max": MAX_POINTS_PER_UNIT_OFF}))
    if not 0 <= draft.min_order_cents <= MAX_CENTS:
        problems.append(Problem("min_order", {}))
    if not 0 <= draft.max_points_per_order <= MAX_POINTS:
        problems.append(Problem("max_points", {}))
    if len(draft.rewards) > MAX_REWARDS:
        problems.append(Problem("reward_count", {"max": MAX_REWARDS}))
    for i, reward in enumerate(draft.rewards):
        if clean_name(reward.name, REWARD_NAME_MAX) != reward.name:
            problems.append(Problem("reward_name", {"item": i, "max": REWARD_NAME_MAX}))
        if not 0 < reward.points <= MAX_POINTS:
            problems.append(Problem("reward_points", {"item": i, "name": reward.name}))
    if draft.top_up_bonuses and not draft.stored_value:
        problems.append(Problem("bonus_without_value", {}))
    if len(draft.top_up_bonuses) > MAX_BONUSES:
        problems.append(Problem("bonus_count", {"max": MAX_BONUSES}))
    for i, bonus in enumerate(draft.top_up_bonuses):
        if not (0 < bonus.bonus_cents <= bonus.min_cents <= MAX_CENTS):
            problems.append(Problem("bonus_amounts", {"item": i}))
    expiry = draft.points_expiry_months
    if expiry is not None and not 1 <= expiry <= MAX_EXPIRY_MONTHS:
        problems.append(Problem("expiry", {"max": MAX_EXPIRY_MONTHS}))
    return problems


class ProgramError(Exception):
    """A program not saved: `invalid` (with the `problems`), or `bad_service` (a reward's
    service is not one of the shop's)."""

    def __init__(self, reason: str, problems: list[Problem] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problems = problems or []


# ------------------------------------------------------------------------ reading, saving


async def load(shop_id: int) -> ProgramDraft | None:
    """The shop's saved program as a draft (tier ids included), or None without one."""
    program = await CardProgram.get_or_none(shop_id=shop_id)
    if program is None:
        return None
    tiers = await Tier.filter(program_id=program.id).order_by("rank")
    rewards = await Reward.filter(program_id=program.id).order_by("points", "id")
    bonuses = await TopUpBonus.filter(program_id=program.id).order_by("min_cents")
    return ProgramDraft(
        tiers=[
            TierDraft(
                name=tier.name,
                colour=tier.colour,
                points_per_unit=tier.points_per_unit,
                discount_percent=tier.discount_percent,
                threshold_spend_cents=tier.threshold_spend_cents,
                threshold_topup_cents=tier.threshold_topup_cents,
                id=tier.id,
            )
            for tier in tiers
        ],
        points_per_currency_unit_off=program.points_per_currency_unit_off,
        min_order_cents=program.min_order_cents,
        max_points_per_order=program.max_points_per_order,
        rewards=[RewardDraft(r.name, r.points, r.service_id) for r in rewards],  # type: ignore[attr-defined]
        stored_value=program.stored_value,
        top_up_bonuses=[BonusDraft(b.min_cents, b.bonus_cents) for b in bonuses],
        need_name=program.need_name,
        need_phone=program.need_phone,
        need_birthday=program.need_birthday,
        points_expiry_months=program.points_expiry_months,
        requalify_yearly=program.requalify_yearly,
    )


async def tiers_of(shop_id: int) -> list[Tier]:
    """The shop's tiers by rank (none without an active program): the coupon audience choice."""
    return await Tier.filter(program__shop_id=shop_id, program__active=True).order_by("rank")


async def save(shop_id: int, owner_id: int, draft: ProgramDraft, now: datetime) -> CardProgram:
    """Write the program, its tiers, rewards and top-up bonuses in one transaction (the
    caller checked `owner_id` may design the card). Saving the same draft twice changes
    nothing the second time. Raises ProgramError."""
    problems = validate(draft)
    if problems:
        raise ProgramError("invalid", problems)
    service_ids = {r.service_id for r in draft.rewards if r.service_id is not None}
    if service_ids and await Service.filter(id__in=service_ids, shop_id=shop_id).count() != len(
        service_ids
    ):
        raise ProgramError("bad_service")
    async with in_transaction():
        program = await CardProgram.get_or_none(shop_id=shop_id)
        settings = _program_fields(draft) | {"active": True, "updated_at": now}
        if program is None:
            program = await CardProgram.create(shop_id=shop_id, **settings)
        else:
            await CardProgram.filter(id=program.id).update(**settings)
            await program.refresh_from_db()
        await _save_tiers(program, draft.tiers)
        await Reward.filter(program_id=program.id).delete()
        for reward in draft.rewards:
            await Reward.create(
                program=program,
                name=reward.name,
                points=reward.points,
                service_id=reward.service_id,
            )
        await TopUpBonus.filter(program_id=program.id).delete()
        for bonus in sorted(draft.top_up_bonuses, key=lambda b: b.min_cents):
            await TopUpBonus.create(
                program=program, min_cents=bonus.min_cents, bonus_cents=bonus.bonus_cents
            )
    return program


def _program_fields(draft: ProgramDraft) -> dict[str, Any]:
    return {
        "stored_value": draft.stored_value,
        "points_per_currency_unit_off": draft.points_per_currency_unit_off,
        "min_order_cents": draft.min_order_cents,
        "max_points_per_order": draft.max_points_per_order,
        "need_name": draft.need_name,
        "need_phone": draft.need_phone,
        "need_birthday": draft.need_birthday,
        "points_expiry_months": draft.points_expiry_months,
        "requalify_yearly": draft.requalify_yearly,
    }


#: Ranks are unique per program: existing tiers step aside to these while they are renumbered.
_PARKED = 1000


async def _save_tiers(program: CardProgram, drafts: list[TierDraft]) -> None:
    """Update kept tiers in place (by id), create new ones, then move the members and coupons
    of removed tiers to the nearest kept tier below, and delete those tiers."""
    existing = {tier.id: tier for tier in await Tier.filter(program_id=program.id)}
    kept_ids = {d.id for d in drafts if d.id in existing}
    for tier in existing.values():
        await Tier.filter(id=tier.id).update(rank=_PARKED + tier.rank)
    new_ids: list[int] = []
    for rank, d in enumerate(drafts):
        values = {
            "rank": rank,
            "name": d.name,
            "colour": d.colour,
            "points_per_unit": d.points_per_unit,
            "discount_percent": d.discount_percent,
            "threshold_spend_cents": d.threshold_spend_cents,
            "threshold_topup_cents": d.threshold_topup_cents,
        }
        if d.id in existing:
            await Tier.filter(id=d.id).update(**values)
            new_ids.append(d.id)  # type: ignore[arg-type]
        else:
            created = await Tier.create(program=program, **values)
            d.id = created.id
            new_ids.append(created.id)
    kept_by_old_rank = sorted((existing[i].rank, i) for i in kept_ids)
    for tier in existing.values():
        if tier.id in kept_ids:
            continue
        below = [tier_id for rank, tier_id in kept_by_old_rank if rank < tier.rank]
        target = below[-1] if below else new_ids[0]
        await MemberCard.filter(tier_id=tier.id).update(tier_id=target)
        await Coupon.filter(audience=Audience.TIER, audience_tier=tier.id).update(
            audience_tier=target
        )
        await Tier.filter(id=tier.id).delete()
