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
from functools import cache, partial

from tortoise.expressions import Q

from bot.models import Customer, CustomerEvent
from bot.services import care, fast_sql

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


#: `first_time_rule` as SQL for the claim's UPDATE (without, with a coupon: `{coupon}` is its
#: parameter), beside it so the two read alike; tests/unit/test_customers.py checks they agree.
FIRST_TIME_SQL = {
    False: '"customer_since" IS NULL',
    True: '"redeemed_at" IS NULL AND "bought_at" IS NULL'
    ' AND ("claimed_at" IS NULL OR "sole_coupon_id"={coupon})',
}


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
    sql, names = _update_sql(
        event,
        first_time=None if not first_time_only else coupon_id is not None,
        spends=bool(amount_cents),
    )
    known = {
        "at": at,
        "coupon": coupon_id,
        "amount": amount_cents,
        "shop": shop_id,
        "user": user_id,
    }
    values = [known[name] for name in names]

    async def update() -> bool:
        return (await fast_sql.execute(Customer, sql, values))[0] == 1

    if not await update():  # a returning person: this one statement
        # No record yet (or the first-time rule said no): make sure of the row, then the
        # UPDATE again decides, as for everyone before the first-UPDATE shortcut.
        await Customer.bulk_create(
            [Customer(shop_id=shop_id, user_id=user_id, source=event, first_seen=at, last_seen=at)],
            ignore_conflicts=True,
        )
        if not await update():
            return False
    await care.welcome_if_first(shop_id, user_id, event, at=at)  # first visit or join only
    return True


@cache
def _update_sql(
    event: CustomerEvent, *, first_time: bool | None, spends: bool
) -> tuple[str, tuple[str, ...]]:
    """The event's UPDATE, built once per shape (building it with Tortoise expressions cost
    more than running it, see bot.services.fast_sql): SQL with the names of its parameters in
    order.
    `first_time`: None without the first-time rule, else whether it names a coupon. SQL
    evaluates every SET clause on the row as it was."""
    names: list[str] = []

    def param(name: str) -> str:
        names.append(name)
        return "?"

    def moved(column: str, compare: str) -> str:
        """`column` moved to the event's time if empty or `compare` than it."""
        moving = f'"{column}" IS NULL OR "{column}"{compare}{param("at")}'
        return f'CASE WHEN {moving} THEN {param("at")} ELSE "{column}" END'

    earliest = partial(moved, compare=">")  # a first time stays the first
    latest = partial(moved, compare="<")
    changes = {
        "source": f'CASE WHEN "first_seen">{param("at")} THEN \'{event.value}\' ELSE "source" END',
        "first_seen": earliest("first_seen"),
        "last_seen": latest("last_seen"),
        FIRST_OF[event]: earliest(FIRST_OF[event]),
    }
    if event != CustomerEvent.FOLLOW:
        changes["customer_since"] = earliest("customer_since")
    if event == CustomerEvent.CLAIM:
        changes["sole_coupon_id"] = (
            f'CASE WHEN "claimed_at" IS NULL THEN {param("coupon")}'
            # The column in one branch types the CASE for PostgreSQL (a bare $n is text).
            f' WHEN "sole_coupon_id"={param("coupon")} THEN "sole_coupon_id" ELSE NULL END'
        )
    if event in VISITS:
        changes["visits"] = '"visits"+1'
        changes["last_visit_at"] = latest("last_visit_at")
    if spends:
        changes["spend_cents"] = f'"spend_cents"+{param("amount")}'
    sets = ",".join(f'"{column}"={value}' for column, value in changes.items())
    where = f'"shop_id"={param("shop")} AND "user_id"={param("user")}'
    if first_time is not None:
        rule = FIRST_TIME_SQL[first_time]
        where += " AND " + (rule.format(coupon=param("coupon")) if first_time else rule)
    return f'UPDATE "customers" SET {sets} WHERE {where}', tuple(names)


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
