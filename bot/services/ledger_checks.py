"""Checks over the card ledger (re-exported by bot.services.ledger): `check_ledger` compares
every card and card purchase with its ledger rows in a few aggregate queries (what
`python -m bot check-ledger` and the tests' assert_ledger_balanced run); `suspicious` tells the
counter when a card or a clerk passes the shop's daily number of moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tortoise import connections

from bot.models import CardProgram, LedgerEntry, LedgerKind, Purchase, Shop


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


CARD_SUMS = """
SELECT c.id, c.points, c.balance_cents,
       COALESCE(SUM(l.points_delta), 0), COALESCE(SUM(l.balance_delta), 0),
       COALESCE(SUM(l.points_left), 0)
  FROM member_cards c LEFT JOIN ledger_entries l ON l.card_id = c.id
 GROUP BY c.id, c.points, c.balance_cents
HAVING c.points <> COALESCE(SUM(l.points_delta), 0)
    OR c.balance_cents <> COALESCE(SUM(l.balance_delta), 0)
    OR c.points <> COALESCE(SUM(l.points_left), 0)
    OR c.points < 0 OR c.balance_cents < 0
"""
PURCHASE_SUMS = """
SELECT p.id, p.card_id,
       CASE WHEN p.voided_at IS NULL THEN p.points_earned - p.points_spent ELSE 0 END,
       CASE WHEN p.voided_at IS NULL THEN -p.value_spent_cents ELSE 0 END,
       COALESCE(SUM(l.points_delta), 0), COALESCE(SUM(l.balance_delta), 0)
  FROM purchases p JOIN ledger_entries l ON l.purchase_id = p.id
 GROUP BY p.id, p.card_id, p.voided_at, p.points_earned, p.points_spent, p.value_spent_cents
HAVING COALESCE(SUM(l.points_delta), 0)
       <> CASE WHEN p.voided_at IS NULL THEN p.points_earned - p.points_spent ELSE 0 END
    OR COALESCE(SUM(l.balance_delta), 0)
       <> CASE WHEN p.voided_at IS NULL THEN -p.value_spent_cents ELSE 0 END
"""
UNLEDGERED = """
SELECT p.id, p.card_id, p.points_earned - p.points_spent, -p.value_spent_cents
  FROM purchases p
 WHERE p.card_id IS NOT NULL AND (p.points_earned <> 0 OR p.points_spent <> 0
       OR p.value_spent_cents <> 0)
   AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.purchase_id = p.id)
"""


async def check_ledger() -> list[Mismatch]:
    """Every card against its ledger (points, stored value, unspent points, never negative)
    and every card purchase against its ledger rows; empty when all is consistent."""
    conn = connections.get("default")
    found: list[Mismatch] = []
    for row in (await conn.execute_query(CARD_SUMS))[1]:
        card_id, points, balance, sum_points, sum_balance, left = (
            tuple(row.values()) if isinstance(row, dict) else tuple(row)
        )
        if points != sum_points or points < 0:
            found.append(Mismatch(card_id, "points", points, sum_points))
        if balance != sum_balance or balance < 0:
            found.append(Mismatch(card_id, "balance", balance, sum_balance))
        if points != left:
            found.append(Mismatch(card_id, "points_left", points, left))
    for query in (PURCHASE_SUMS, UNLEDGERED):
        for row in (await conn.execute_query(query))[1]:
            values = tuple(row.values()) if isinstance(row, dict) else tuple(row)
            purchase_id, card_id, want_points, want_balance = values[:4]
            got_points, got_balance = values[4:] if len(values) > 4 else (0, 0)
            found.append(Mismatch(card_id or 0, f"purchase {purchase_id}", want_points, got_points))
            if want_balance != got_balance:
                found.append(
                    Mismatch(
                        card_id or 0, f"purchase {purchase_id} value", want_balance, got_balance
                    )
                )
    return found


async def suspicious(
    shop_id: int, card_id: int | None, staff_id: int | None, now: datetime
) -> Alert | None:
    """After a move: an Alert when it is the one that takes the card's (or the clerk's) moves
    today (the shop's local day) past the shop's `daily_alert_limit`; None otherwise, so the
    owner hears once per day and subject. Moves are purchases (not voided) and top-ups."""
    program = await CardProgram.get_or_none(shop_id=shop_id)
    if program is None or program.daily_alert_limit <= 0:
        return None
    shop = await Shop.get(id=shop_id)
    local = now.astimezone(ZoneInfo(shop.timezone))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    limit = program.daily_alert_limit
    if card_id is not None:
        count = await Purchase.valid().filter(card_id=card_id, created_at__gte=start).count()
        count += await LedgerEntry.filter(
            card_id=card_id, kind=LedgerKind.TOP_UP, created_at__gte=start
        ).count()
        if count == limit + 1:
            return Alert(shop_id, "card", card_id, None, count, limit)
    if staff_id is not None:
        count = (
            await Purchase.valid()
            .filter(shop_id=shop_id, staff_id=staff_id, created_at__gte=start)
            .count()
        )
        count += await LedgerEntry.filter(
            staff_id=staff_id,
            kind=LedgerKind.TOP_UP,
            card__shop_id=shop_id,
            created_at__gte=start,
        ).count()
        if count == limit + 1:
            return Alert(shop_id, "staff", None, staff_id, count, limit)
    return None
