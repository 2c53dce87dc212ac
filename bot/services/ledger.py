"""Every move of points and stored value on a membership card, each one transaction.

Rules (the same on SQLite and PostgreSQL, no row locks):
- every change of a card's `points` / `balance_cents` is a LedgerEntry written in the same
  `in_transaction()` as the card's UPDATE, so a card always equals the sum of its ledger;
- a debit is a conditional UPDATE (`points >= n`, `balance_cents >= n`) that must touch one
  row: concurrent spends against one balance never overdraw it;
- every move carries an idempotency key, unique in the database (Purchase.key,
  LedgerEntry.key, SpendRequest.key): a confirmation tapped twice, a retried request or a
  restart finds the first result and returns it (`replayed=True`);
- points earned carry `points_left` and `expires_at`; spending, voiding and expiry consume
  them oldest first (FIFO), so SUM(points_left) == points as well.

Earning: floor(whole currency units paid × tier.points_per_unit), where "paid" is the amount
after the tier discount and the coupon, less what points paid (stored value counts: it was
paid in money at the top-up). Qualifying spend grows by the same amount; reaching the next
tier's threshold (or topping up at least its `threshold_topup_cents` at once) upgrades the
card in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import LedgerEntry, MemberCard, Purchase, SpendRequest, Tier


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    card: MemberCard | None  # None: a purchase by someone without a card
    points_earned: int
    points_spent: int
    value_spent_cents: int
    discount_cents: int  # tier discount plus the coupon's
    due_cents: int  # what is left to pay in money at the counter
    upgraded_to: Tier | None
    replayed: bool = False  # the key was seen before: this is the first result


@dataclass(frozen=True)
class TopUpResult:
    entry: LedgerEntry
    card: MemberCard
    amount_cents: int
    bonus_cents: int
    upgraded_to: Tier | None
    replayed: bool = False


@dataclass(frozen=True)
class VoidResult:
    card: MemberCard
    points_delta: int  # what the void changed on the card
    balance_delta: int
    coupon_restored: bool


@dataclass(frozen=True)
class Mismatch:
    """A card (or purchase) whose stored figure differs from its ledger."""

    card_id: int
    what: str  # points, balance, points_left, purchase
    stored: int
    ledger: int


@dataclass(frozen=True)
class Alert:
    """More moves in a local day than the shop's `daily_alert_limit`, by a card or a clerk."""

    shop_id: int
    subject: str  # card or staff
    card_id: int | None
    staff_id: int | None
    count: int
    limit: int


async def record_purchase(
    shop_id: int,
    card_or_user: MemberCard | int,
    amount_cents: int,
    staff_id: int,
    *,
    key: str,
    now: datetime,
    coupon_claim_id: int | None = None,
) -> PurchaseResult:
    """Record a purchase paid in money (earning only); `card_or_user` is a card or a user id
    (a member's card is used if they have one at the shop)."""
    raise NotImplementedError


async def request_spend(
    card_id: int,
    staff_id: int,
    amount_cents: int,
    *,
    points: int,
    value_cents: int,
    key: str,
    now: datetime,
    coupon_claim_id: int | None = None,
) -> SpendRequest:
    """Ask the holder to approve paying part of a purchase with points and/or stored value.
    Checks the program's rules and the balances; nothing moves until approve_spend."""
    raise NotImplementedError


async def approve_spend(
    request_id: int, user_id: int, password: str, *, now: datetime
) -> PurchaseResult:
    """The holder approves with their password: the purchase is recorded with its spend."""
    raise NotImplementedError


async def decline_spend(request_id: int, user_id: int, *, now: datetime) -> SpendRequest:
    raise NotImplementedError


async def top_up(
    card_id: int, staff_id: int, amount_cents: int, *, key: str, now: datetime
) -> TopUpResult:
    raise NotImplementedError


async def adjust_points(
    card_id: int, owner_id: int, delta: int, reason: str, *, key: str, now: datetime
) -> LedgerEntry:
    raise NotImplementedError


async def void_purchase(purchase_id: int, owner_id: int, *, now: datetime) -> VoidResult:
    raise NotImplementedError


async def void_top_up(entry_id: int, owner_id: int, *, now: datetime) -> VoidResult:
    raise NotImplementedError


async def expire_points(now: datetime) -> int:
    raise NotImplementedError


async def requalify(now: datetime) -> int:
    raise NotImplementedError


async def check_ledger() -> list[Mismatch]:
    raise NotImplementedError


async def suspicious(
    shop_id: int, card_id: int | None, staff_id: int | None, now: datetime
) -> Alert | None:
    raise NotImplementedError
