"""Customers: the one record of who is a customer of which shop (bot.models.Customer), written
with every event and read by every feature that asks (promotion audiences, first-time coupons,
verified reviews; later membership cards, the customer directory, birthday greetings).

The definitions, each written once as a filter on the record:
- customer of a shop: claimed one of its coupons, redeemed one, has a recorded purchase
  there, or joined its membership card (joining is not a visit). Following alone does not
  make a customer: followers are an audience of their own, and tapping ⭐ is interest, not
  business. A follower still gets a record (source `follow`), so
  "came through follow" is known once they do become a customer;
- first-time: not a customer yet. For a first-time coupon also someone whose only dealing with
  the shop so far is claiming that very coupon (its per-person limit rules repeat claims);
- verified: redeemed a coupon or bought there (the ✅ on reviews).

Writing: `record_event` runs inside the caller's `in_transaction()`, after the event's own
first write, so the record moves with the event or not at all. It is one UPDATE whose SET
clauses keep the earliest of each first, the latest of each last and add to the counters (for
someone new, after an INSERT that ignores an existing row, unique shop and user): the record
comes out the same whatever order concurrent events commit in, with no locks or retries.
A person's first visit or card join at a shop also queues the shop's welcome there, in the same
transaction (bot.services.care.welcome_if_first: a conditional UPDATE of `welcomed_at`).
A first-time claim adds the first-time rule to that UPDATE's WHERE: of two racing first-time
claims the second finds the rule no longer true and changes nothing (PostgreSQL re-checks the
WHERE on the row the winner committed; SQLite runs one writer at a time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Case, F, Q, Value, When

from bot.models import Customer, CustomerEvent
from bot.services import care

#: The record's column keeping the first time of each event.
FIRST_OF = {
    CustomerEvent.FOLLOW: "followed_at",
    CustomerEvent.CLAIM: "claimed_at",
    CustomerEvent.REDEEM: "redeemed_at",
    CustomerEvent.PURCHASE: "bought_at",
    CustomerEvent.JOIN: "joined_at",
}
#: Events at the counter: each is one visit.
VISITS = (CustomerEvent.REDEEM, CustomerEvent.PURCHASE)

#: The definitions, as filters on Customer rows (listings use them as they are).
IS_CUSTOMER = Q(customer_since__isnull=False)
IS_VERIFIED = Q(redeemed_at__isnull=False) | Q(bought_at__isnull=False)
CAME_THROUGH_FOLLOW = Q(source=CustomerEvent.FOLLOW)


def first_time_rule(coupon_id: int | None = None) -> Q:
    """Records of people still first-time: never claimed, redeemed or bought here; with a
    coupon, never redeemed or bought and with no claim here but of that coupon."""
    if coupon_id is None:
        return Q(customer_since__isnull=True)
    no_visit = Q(redeemed_at__isnull=True, bought_at__isnull=True)
    return no_visit & (Q(claimed_at__isnull=True) | Q(sole_coupon_id=coupon_id))


# ------------------------------------------------------------------------------ writing


async def record_event(
    shop_id: int,
    user_id: int,
    event: CustomerEvent,
    *,
    at: datetime,
    coupon_id: int | None = None,
    amount_cents: int = 0,
    first_time_only: bool = False,
) -> bool:
    """Keep the (shop, user) record with one event; call it inside the event's transaction.
    `coupon_id` goes with a claim, `amount_cents` with a purchase. With `first_time_only`
    (claiming a first-time coupon) the record changes only while the person is first-time for
    `coupon_id`: False means nothing was written and the caller must roll back."""
    if event == CustomerEvent.CLAIM and coupon_id is None:
        raise ValueError("a claim names its coupon")
    at = at.astimezone(UTC)  # stored text compares correctly only in one zone (SQLite)
    record = Customer.filter(shop_id=shop_id, user_id=user_id)
    if first_time_only:
        record = record.filter(first_time_rule(coupon_id))
    changes = _changes(event, at, coupon_id, amount_cents)
    if await record.update(**changes) != 1:  # a returning person: this one statement
        # No record yet (or the first-time rule said no): make sure of the row, then the
        # UPDATE again decides, as for everyone before the first-UPDATE shortcut.
        await Customer.bulk_create(
            [Customer(shop_id=shop_id, user_id=user_id, source=event, first_seen=at, last_seen=at)],
            ignore_conflicts=True,
        )
        if await record.update(**changes) != 1:
            return False
    await care.welcome_if_first(shop_id, user_id, event, at=at)  # first visit or join only
    return True


def _changes(
    event: CustomerEvent, at: datetime, coupon_id: int | None, amount_cents: int
) -> dict[str, Any]:
    """The SET clauses of one event. SQL evaluates them all on the row as it was."""
    changes: dict[str, Any] = {
        "source": Case(When(Q(first_seen__gt=at), then=Value(event)), default=F("source")),
        "first_seen": _earliest("first_seen", at),
        "last_seen": _latest("last_seen", at),
        FIRST_OF[event]: _earliest(FIRST_OF[event], at),
    }
    if event != CustomerEvent.FOLLOW:
        changes["customer_since"] = _earliest("customer_since", at)
    if event == CustomerEvent.CLAIM:
        changes["sole_coupon_id"] = Case(
            When(Q(claimed_at__isnull=True), then=Value(coupon_id)),
            # The column in one branch types the CASE for PostgreSQL (a bare $n is text).
            When(Q(sole_coupon_id=coupon_id), then=F("sole_coupon_id")),
            default=None,
        )
    if event in VISITS:
        changes["visits"] = F("visits") + 1
        changes["last_visit_at"] = _latest("last_visit_at", at)
    if amount_cents:
        changes["spend_cents"] = F("spend_cents") + amount_cents
    return changes


def _latest(column: str, at: datetime) -> Case:
    """`column` moved to `at` unless it is already later."""
    return _moved(column, at, "lt")


def _earliest(column: str, at: datetime) -> Case:
    """`column` moved to `at` if empty or later: a first time stays the first."""
    return _moved(column, at, "gt")


def _moved(column: str, at: datetime, compare: str) -> Case:
    move = Q(**{f"{column}__isnull": True}) | Q(**{f"{column}__{compare}": at})
    return Case(When(move, then=Value(at)), default=F(column))


# ------------------------------------------------------------------------------ reading


async def customers_of(shop_id: int, *, reachable_only: bool = False) -> set[int]:
    """The shop's customers (see the module docstring); `reachable_only` leaves out people
    who blocked the bot."""
    found = Customer.filter(IS_CUSTOMER, shop_id=shop_id)
    if reachable_only:
        found = found.filter(user__reachable=True)
    return set(await found.values_list("user_id", flat=True))


async def record_of(shop_id: int, user_id: int) -> Customer | None:
    """The person's record at the shop, None if they never dealt with it."""
    return await Customer.get_or_none(shop_id=shop_id, user_id=user_id)


async def is_customer(shop_id: int, user_id: int) -> bool:
    return await Customer.exists(IS_CUSTOMER, shop_id=shop_id, user_id=user_id)


async def is_first_time(shop_id: int, user_id: int, *, coupon_id: int | None = None) -> bool:
    """Whether the person is still first-time at the shop (for `coupon_id`, if given). The
    claim transaction enforces the same rule (record_event with first_time_only)."""
    known = Customer.filter(shop_id=shop_id, user_id=user_id)
    # Existence first: records are never deleted, so a record made between the two queries is
    # judged by the rule (the other order refused a newcomer whose first claim landed between).
    # Not `exclude(rule)`: NOT over a NULL comparison is NULL, which would hide the row.
    return not await known.exists() or await known.filter(first_time_rule(coupon_id)).exists()


async def is_verified(shop_id: int, user_id: int) -> bool:
    """Whether the person redeemed a coupon or bought at the shop."""
    return await Customer.exists(IS_VERIFIED, shop_id=shop_id, user_id=user_id)


async def came_through_follow(shop_id: int, user_id: int) -> bool:
    """Whether following the shop was the person's first dealing with it."""
    return await Customer.exists(CAME_THROUGH_FOLLOW, shop_id=shop_id, user_id=user_id)
