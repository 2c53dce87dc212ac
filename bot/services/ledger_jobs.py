"""The card ledger's timed work (re-exported by bot.services.ledger; scheduler/cards.py runs
it): points expire oldest first, each credit once (key `exp:<entry>`), each card in its own
transaction; cards of yearly programs start a new year with the tier the year's spend (or one
big enough top-up) earned, and a coming downgrade is found once per year to be announced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot.models import CardProgram, LedgerEntry, LedgerKind, MemberCard, Tier
from bot.services.card_common import CardError
from bot.services.card_dates import add_months
from bot.services.card_dates import utc as _utc


@dataclass(frozen=True)
class ExpiryNotice:
    """Points of a card that expire soon (for the reminder)."""

    card_id: int
    user_id: int
    shop_id: int
    shop_name: str
    points: int
    expires_at: datetime


async def expire_points(now: datetime) -> int:
    """Expire every credit of points past its `expires_at`, oldest first; each card in its own
    transaction, each credit once (key `exp:<entry>`). Returns how many points expired."""
    now = _utc(now)
    total = 0
    due = await LedgerEntry.filter(expires_at__lte=now, points_left__gt=0).order_by("id")
    for credit in due:
        left = credit.points_left
        try:
            async with in_transaction():
                taken = await LedgerEntry.filter(id=credit.id, points_left=left).update(
                    points_left=0
                )
                if taken != 1:
                    continue
                changed = await MemberCard.filter(id=credit.card_id, points__gte=left).update(
                    points=F("points") - left
                )
                if changed != 1:
                    raise CardError("insufficient_points")
                await LedgerEntry.create(
                    card_id=credit.card_id,
                    kind=LedgerKind.EXPIRE,
                    points_delta=-left,
                    created_at=now,
                    key=f"exp:{credit.id}",
                )
            total += left
        except IntegrityError:
            continue
    return total


async def expiring_soon(now: datetime, ahead: timedelta) -> list[ExpiryNotice]:
    """Per card, the points whose expiry falls within `ahead` (soonest expiry named)."""
    now = _utc(now)
    rows = await LedgerEntry.filter(
        expires_at__gt=now, expires_at__lte=now + ahead, points_left__gt=0
    ).values("card_id", "points_left", "expires_at")
    per_card: dict[int, tuple[int, datetime]] = {}
    for row in rows:
        points, soonest = per_card.get(row["card_id"], (0, row["expires_at"]))
        per_card[row["card_id"]] = (points + row["points_left"], min(soonest, row["expires_at"]))
    if not per_card:
        return []
    cards = await MemberCard.filter(id__in=list(per_card)).select_related("shop")
    return [ExpiryNotice(c.id, c.user_id, c.shop_id, c.shop.name, *per_card[c.id]) for c in cards]


@dataclass(frozen=True)
class TierChange:
    """A yearly re-qualification's outcome (or, ahead of it, a downgrade to announce)."""

    card_id: int
    user_id: int
    shop_id: int
    shop_name: str
    old_tier: Tier
    new_tier: Tier
    at: datetime  # when it takes effect


async def _requalified_tier(card: MemberCard, tiers: Sequence[Tier], since: datetime) -> Tier:
    """The tier the card's year earns: its spend since `since`, or one top-up in that year
    large enough."""
    top = (
        await LedgerEntry.filter(card_id=card.id, kind=LedgerKind.TOP_UP, created_at__gte=since)
        .order_by("-balance_delta")
        .first()
    )
    biggest = 0 if top is None else top.balance_delta
    earned = [
        t
        for t in tiers
        if t.rank == 0
        or (0 < t.threshold_spend_cents <= card.spend_cents)
        or (t.threshold_topup_cents is not None and 0 < t.threshold_topup_cents <= biggest)
    ]
    return max(earned or list(tiers[:1]), key=lambda t: t.rank)


async def _yearly_cards() -> list[tuple[MemberCard, list[Tier]]]:
    programs = await CardProgram.filter(requalify_yearly=True, active=True)
    out = []
    for program in programs:
        tiers = await Tier.filter(program_id=program.id).order_by("rank")
        for card in await MemberCard.filter(shop_id=program.shop_id).select_related("shop"):
            out.append((card, tiers))
    return out


async def downgrades_ahead(now: datetime, ahead: timedelta) -> list[TierChange]:
    """Cards whose year ends within `ahead` and whose spend so far would drop them a tier,
    not told yet; marks them told (the caller queues the notice in the same transaction)."""
    now = _utc(now)
    found = []
    for card, tiers in await _yearly_cards():
        ends = add_months(card.qualified_since, 12)
        if card.downgrade_noticed or not now < ends <= now + ahead:
            continue
        current = next(t for t in tiers if t.id == card.tier_id)
        new = await _requalified_tier(card, tiers, card.qualified_since)
        if new.rank < current.rank and await MemberCard.filter(
            id=card.id, downgrade_noticed=False
        ).update(downgrade_noticed=True):
            found.append(
                TierChange(card.id, card.user_id, card.shop_id, card.shop.name, current, new, ends)
            )
    return found


async def requalify(now: datetime) -> list[TierChange]:
    """Start a new year for every card of a yearly program whose year ended: its tier is
    what the year's spend earned (up or down), spend restarts from zero. Returns the
    changed tiers."""
    now = _utc(now)
    changes = []
    for card, tiers in await _yearly_cards():
        ends = add_months(card.qualified_since, 12)
        if ends > now:
            continue
        current = next(t for t in tiers if t.id == card.tier_id)
        new = await _requalified_tier(card, tiers, card.qualified_since)
        changed = await MemberCard.filter(id=card.id, qualified_since=card.qualified_since).update(
            tier_id=new.id, spend_cents=0, qualified_since=ends, downgrade_noticed=False
        )
        if changed and new.id != current.id:
            changes.append(
                TierChange(card.id, card.user_id, card.shop_id, card.shop.name, current, new, ends)
            )
    return changes
