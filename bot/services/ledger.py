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

The timed work (expiry, re-qualification) lives in ledger_jobs.py and the checks
(check_ledger, suspicious) in ledger_checks.py; both are re-exported here, so callers know one
module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import DoesNotExist, IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot.models import (
    CardProgram,
    Coupon,
    Customer,
    CustomerEvent,
    LedgerEntry,
    LedgerKind,
    MemberCard,
    Purchase,
    Reward,
    SpendRequest,
    SpendStatus,
    SurveySource,
    Tier,
    TopUpBonus,
)
from bot.services import care, coupons, customers, fast_sql, passwords, staff
from bot.services.card_common import CardError, settings
from bot.services.card_dates import add_months, utc
from bot.services.coupons import MAX_CENTS, CouponError
from bot.services.ledger_checks import Alert, Mismatch, check_ledger, suspicious
from bot.services.ledger_jobs import (
    ExpiryNotice,
    TierChange,
    downgrades_ahead,
    expire_points,
    expiring_soon,
    requalify,
)
from bot.services.staff import Permission

KEY_MAX = 60  # the columns hold 64; derived keys add a short suffix
REASON_MAX = 200
#: Refusals a replayed key meets when its first call already took the coupon or the request.
REPLAYABLE = frozenset({"coupon", "decided"})
MAX_POINTS = 1_000_000_000


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


# ------------------------------------------------------------------------------ helpers


def points_earned(tier: Tier, paid_cents: int) -> int:
    """Points for `paid_cents`: the tier's points per whole currency unit."""
    return max(0, paid_cents) // 100 * tier.points_per_unit


def tier_discount(tier: Tier, amount_cents: int) -> int:
    return amount_cents * tier.discount_percent // 100


def points_value_cents(program: CardProgram, points: int) -> int:
    """What `points` pay, in cents (0 when points cannot pay money)."""
    if program.points_per_currency_unit_off <= 0:
        return 0
    return points * 100 // program.points_per_currency_unit_off


@dataclass(frozen=True)
class Quote:
    """What a purchase comes to: the one computation behind both the counter's confirmation
    (before staff confirm) and what `_purchase` records, so the two never disagree."""

    amount_cents: int
    discount_percent: int
    tier_discount_cents: int
    coupon_discount_cents: int
    max_points: int  # the most points this order may take (0: points cannot pay)
    points: int  # points paying part
    points_cents: int
    value_cents: int  # stored value paying part
    to_pay_cents: int  # left to pay in money
    points_earned: int

    @property
    def discount_cents(self) -> int:
        return self.tier_discount_cents + self.coupon_discount_cents

    @property
    def payable_cents(self) -> int:
        """The amount after the tier discount and the coupon."""
        return self.amount_cents - self.discount_cents

    @property
    def paid_cents(self) -> int:
        """What was paid in money (stored value included: it was money at the top-up)."""
        return self.payable_cents - self.points_cents


def quote(
    amount_cents: int,
    *,
    tier: Tier | None,
    program: CardProgram | None,
    coupon: Coupon | None = None,
    points: int = 0,
    value_cents: int = 0,
    max_points: int = 0,
) -> Quote:
    """The figures of a purchase, in the ledger's order: the tier's discount, then the
    coupon's on what is left; points pay their value (none without a program); stored value
    pays `value_cents`; points are earned on what was paid in money. No checks here: callers
    refuse what does not fit (`too_much`)."""
    tier_off = 0 if tier is None else tier_discount(tier, amount_cents)
    coupon_off = 0 if coupon is None else coupons.discount_of(coupon, amount_cents - tier_off)
    payable = amount_cents - tier_off - coupon_off
    points_cents = 0 if program is None else points_value_cents(program, points)
    return Quote(
        amount_cents=amount_cents,
        discount_percent=0 if tier is None else tier.discount_percent,
        tier_discount_cents=tier_off,
        coupon_discount_cents=coupon_off,
        max_points=max_points,
        points=points,
        points_cents=points_cents,
        value_cents=value_cents,
        to_pay_cents=payable - points_cents - value_cents,
        points_earned=0 if tier is None else points_earned(tier, payable - points_cents),
    )


def points_cap(
    program: CardProgram | None, card_points: int, amount_cents: int, payable_cents: int
) -> int:
    """The most points an order may take under the program's rules (points paying money,
    minimum order, most per order, whole cents), at most the card's points."""
    if program is None or program.points_per_currency_unit_off <= 0:
        return 0
    if amount_cents < program.min_order_cents:
        return 0
    cap = min(card_points, payable_cents * program.points_per_currency_unit_off // 100)
    if program.max_points_per_order:
        cap = min(cap, program.max_points_per_order)
    return cap


def preview(
    card: MemberCard,
    program: CardProgram | None,
    amount_cents: int,
    *,
    coupon: Coupon | None,
    use_points: bool,
    use_value: bool,
) -> Quote:
    """The counter's confirmation (`card.tier` fetched): points pay the most the order may
    take when chosen, stored value pays what is left when chosen."""
    plain = quote(amount_cents, tier=card.tier, program=program, coupon=coupon)
    cap = points_cap(program, card.points, amount_cents, plain.payable_cents)
    points = cap if use_points else 0
    value = 0
    if use_value and program is not None and program.stored_value:
        left = plain.payable_cents - points_value_cents(program, points)
        value = max(0, min(card.balance_cents, left))
    return quote(
        amount_cents,
        tier=card.tier,
        program=program,
        coupon=coupon,
        points=points,
        value_cents=value,
        max_points=cap,
    )


def best_bonus(bonuses: Iterable[TopUpBonus], amount_cents: int) -> int:
    """The bonus a top-up of `amount_cents` brings: the best of those it reaches."""
    return max((b.bonus_cents for b in bonuses if b.min_cents <= amount_cents), default=0)


def _check_key(key: str) -> None:
    if not key or len(key) > KEY_MAX:
        raise ValueError("an idempotency key of 1..60 characters")


_utc = utc


async def _program(shop_id: int) -> tuple[CardProgram, list[Tier]]:
    """The shop's program and its tiers by rank (every move reads them: two indexed reads in
    hand-written SQL, see bot.services.fast_sql)."""
    programs = await fast_sql.fetch(
        CardProgram, 'SELECT * FROM "card_programs" WHERE "shop_id"=?', [shop_id]
    )
    tiers = (
        await fast_sql.fetch(
            Tier,
            'SELECT * FROM "card_tiers" WHERE "program_id"=? ORDER BY "rank"',
            [programs[0].id],
        )
        if programs
        else []
    )
    if not tiers:
        raise CardError("no_program")
    for tier in tiers:
        tier.program = programs[0]
    return programs[0], tiers


async def _locked_card(card_id: int) -> MemberCard:
    """The card as it is now, locked until commit on PostgreSQL (hand-written SQL, see
    bot.services.fast_sql: every purchase reads it)."""
    found = await fast_sql.fetch(
        MemberCard, 'SELECT * FROM "member_cards" WHERE "id"=?', [card_id], for_update=True
    )
    if not found:
        raise DoesNotExist(MemberCard)
    return found[0]


def _expiry(program: CardProgram, now: datetime) -> datetime | None:
    if program.points_expiry_months is None:
        return None
    return add_months(now, program.points_expiry_months)


async def _credit_points(
    card: MemberCard,
    kind: LedgerKind,
    points: int,
    *,
    now: datetime,
    expires_at: datetime | None,
    **entry: object,
) -> LedgerEntry:
    """Add points to the card with their ledger row (points_left for FIFO spending)."""
    await MemberCard.filter(id=card.id).update(points=F("points") + points)
    return await LedgerEntry.create(
        card_id=card.id,
        kind=kind,
        points_delta=points,
        points_left=points,
        expires_at=expires_at,
        created_at=now,
        **entry,
    )


async def _debit_points(
    card_id: int, kind: LedgerKind, points: int, *, now: datetime, **entry: object
) -> LedgerEntry:
    """Take points (never below zero: CardError insufficient_points), oldest first."""
    changed = await MemberCard.filter(id=card_id, points__gte=points).update(
        points=F("points") - points
    )
    if changed != 1:
        raise CardError("insufficient_points")
    await _consume(card_id, points)
    return await LedgerEntry.create(
        card_id=card_id, kind=kind, points_delta=-points, created_at=now, **entry
    )


async def _consume(card_id: int, points: int) -> None:
    """Spend `points` of the card's unspent credits, oldest first. Runs after the card's
    conditional UPDATE, which holds the card's row (PostgreSQL) or the database (SQLite)
    until commit, so no other move of this card reads these rows meanwhile."""
    left = points
    while left > 0:
        credits = (
            await LedgerEntry.filter(card_id=card_id, points_left__gt=0).order_by("id").limit(20)
        )
        if not credits:
            raise CardError("insufficient_points")  # the cache and its ledger disagree
        for credit in credits:
            take = min(left, credit.points_left)
            await LedgerEntry.filter(id=credit.id, points_left__gte=take).update(
                points_left=F("points_left") - take
            )
            left -= take
            if left == 0:
                return


async def _move_balance(
    card_id: int, kind: LedgerKind, cents: int, *, now: datetime, **entry: object
) -> LedgerEntry:
    """Add (positive) or take (negative, never below zero) stored value, with its row."""
    query = MemberCard.filter(id=card_id)
    if cents < 0:
        query = query.filter(balance_cents__gte=-cents)
    if await query.update(balance_cents=F("balance_cents") + cents) != 1:
        raise CardError("insufficient_balance")
    return await LedgerEntry.create(
        card_id=card_id, kind=kind, balance_delta=cents, created_at=now, **entry
    )


async def _upgrade(card: MemberCard, tiers: Sequence[Tier], *, topup_cents: int = 0) -> Tier | None:
    """Move the card up at once to the highest tier its spend (or this one top-up) reaches."""
    fresh = await MemberCard.get(id=card.id)
    return await _upgrade_to(fresh, tiers, spend_cents=fresh.spend_cents, topup_cents=topup_cents)


async def _upgrade_to(
    card: MemberCard, tiers: Sequence[Tier], *, spend_cents: int, topup_cents: int = 0
) -> Tier | None:
    """`_upgrade` for a card whose current tier and spend are known (inside the move)."""
    current = next((t for t in tiers if t.id == card.tier_id), None)
    rank = -1 if current is None else current.rank
    reached = [
        t
        for t in tiers
        if t.rank > rank
        and (
            0 < t.threshold_spend_cents <= spend_cents
            or (t.threshold_topup_cents is not None and 0 < t.threshold_topup_cents <= topup_cents)
        )
    ]
    if not reached:
        return None
    best = max(reached, key=lambda t: t.rank)
    await MemberCard.filter(id=card.id, tier_id=card.tier_id).update(tier_id=best.id)
    return best


async def _card_for(shop_id: int, card_or_user: MemberCard | int) -> tuple[MemberCard | None, int]:
    if isinstance(card_or_user, MemberCard):
        if card_or_user.shop_id != shop_id:
            raise CardError("other_shop")
        return card_or_user, card_or_user.user_id
    return await MemberCard.get_or_none(shop_id=shop_id, user_id=card_or_user), card_or_user


# ------------------------------------------------------------------------------ purchases


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
    """Record a purchase paid in money (points are earned, nothing is spent); `card_or_user`
    is a card or a user id (their card at the shop is used if they have one). The one way a
    purchase is recorded (bot.services.purchases.record_purchase calls it). CardError
    bad_amount, own_card, other_shop, coupon (coupon_reason), NotAllowed without
    RECORD_PURCHASE."""
    _check_key(key)
    if not 1 <= amount_cents <= MAX_CENTS:
        raise CardError("bad_amount", max=MAX_CENTS)
    await staff.check(staff_id, shop_id, Permission.RECORD_PURCHASE)
    card, user_id = await _card_for(shop_id, card_or_user)
    if user_id == staff_id:
        raise CardError("own_card")
    return await _purchase(
        shop_id,
        card,
        user_id,
        amount_cents,
        staff_id,
        key=key,
        now=now,
        coupon_claim_id=coupon_claim_id,
        points=0,
        value_cents=0,
    )


async def _purchase(
    shop_id: int,
    card: MemberCard | None,
    user_id: int,
    amount_cents: int,
    staff_id: int | None,
    *,
    key: str,
    now: datetime,
    coupon_claim_id: int | None,
    points: int,
    value_cents: int,
    request_id: int | None = None,
    reward: Reward | None = None,
) -> PurchaseResult:
    """The purchase transaction (a reward: a purchase of nothing paid in money, its points
    spent, none earned): the spend request's approval, the coupon, the purchase row,
    spends, earning, upgrade, customer record; a key seen before (the unique Purchase.key)
    returns the first result."""
    now = _utc(now)
    program, tiers = await _program(shop_id) if card is not None else (None, [])
    try:
        async with in_transaction():
            if request_id is not None:
                approved = await SpendRequest.filter(
                    id=request_id, status=SpendStatus.PENDING, expires_at__gt=now
                ).update(status=SpendStatus.APPROVED, decided_at=now)
                if approved != 1:
                    raise CardError("decided")
            # Locked on PostgreSQL (SQLite runs one transaction at a time): the figures read
            # here stay true until commit, so the result needs no second read.
            fresh = None if card is None else await _locked_card(card.id)
            tier = None if fresh is None else next(t for t in tiers if t.id == fresh.tier_id)
            coupon = None
            if coupon_claim_id is not None:
                after_tier = amount_cents - (
                    0 if tier is None else tier_discount(tier, amount_cents)
                )
                claim = await _redeem_coupon(
                    coupon_claim_id, staff_id, shop_id, user_id, after_tier, now
                )
                coupon = claim.coupon
            figures = quote(
                amount_cents,
                tier=tier,
                program=program if reward is None else None,  # a reward's points pay no money
                coupon=coupon,
                points=points,
                value_cents=value_cents,
            )
            discount = figures.discount_cents
            payable = figures.payable_cents
            points_money = figures.points_cents
            if points_money + value_cents > payable:
                raise CardError("too_much", payable=payable)
            base = figures.paid_cents  # what was paid in money (stored value included)
            earned = figures.points_earned
            purchase = await Purchase.create(
                shop_id=shop_id,
                user_id=user_id,
                amount_cents=amount_cents,
                staff_id=staff_id,
                created_at=now,
                card_id=None if card is None else card.id,
                key=key,
                coupon_claim_id=coupon_claim_id,
                points_earned=earned,
                points_spent=points,
                value_spent_cents=value_cents,
                discount_cents=discount,
            )
            upgraded = None
            if fresh is not None and program is not None:
                moved = {"purchase_id": purchase.id, "staff_id": staff_id}
                if points:
                    await _debit_points(
                        fresh.id,
                        LedgerKind.REDEEM_POINTS,
                        points,
                        now=now,
                        amount_cents=points_money,
                        reason=None if reward is None else reward.name,
                        **moved,
                    )
                if value_cents:
                    await _move_balance(
                        fresh.id,
                        LedgerKind.SPEND_VALUE,
                        -value_cents,
                        now=now,
                        amount_cents=amount_cents,
                        **moved,
                    )
                await fast_sql.execute(
                    MemberCard,
                    'UPDATE "member_cards" SET "points"="points"+?,'
                    '"spend_cents"="spend_cents"+? WHERE "id"=?',
                    [earned, base, fresh.id],
                )
                if earned:
                    await LedgerEntry.create(
                        card_id=fresh.id,
                        kind=LedgerKind.EARN,
                        points_delta=earned,
                        points_left=earned,
                        expires_at=_expiry(program, now),
                        created_at=now,
                        amount_cents=base,
                        **moved,
                    )
                upgraded = await _upgrade_to(fresh, tiers, spend_cents=fresh.spend_cents + base)
            if request_id is not None:
                await SpendRequest.filter(id=request_id).update(purchase_id=purchase.id)
            await customers.record_event(
                shop_id, user_id, CustomerEvent.PURCHASE, at=now, amount_cents=payable
            )
            await care.survey_after_visit(
                shop_id, user_id, SurveySource.PURCHASE, purchase.id, at=now
            )
    except (IntegrityError, CardError) as error:
        # The same key committed first (a double tap, a retry): its coupon or request is
        # taken, or its purchase row collides. Either way the first result is the answer.
        known = await Purchase.get_or_none(key=key)
        if known is None or (isinstance(error, CardError) and error.reason not in REPLAYABLE):
            raise
        return await _replayed(known)
    if fresh is not None and tier is not None:
        fresh.points += earned - points
        fresh.balance_cents -= value_cents
        fresh.spend_cents += base
        fresh.tier = upgraded or tier
        fresh.tier_id = fresh.tier.id
        card = fresh
    return PurchaseResult(
        purchase=purchase,
        card=card,
        points_earned=earned,
        points_spent=points,
        value_spent_cents=value_cents,
        discount_cents=discount,
        due_cents=figures.to_pay_cents,
        upgraded_to=upgraded,
    )


async def _redeem_coupon(
    claim_id: int, staff_id: int | None, shop_id: int, user_id: int, amount: int, now: datetime
):  # type: ignore[no-untyped-def]
    try:
        return await coupons.redeem_with_purchase(
            claim_id, staff_id, shop_id, user_id, amount, now=now
        )
    except CouponError as error:
        raise CardError("coupon", coupon_reason=error.reason, **error.details) from None


async def _replayed(purchase: Purchase) -> PurchaseResult:
    """The result of a purchase recorded before under the same key."""
    card = None
    if purchase.card_id is not None:
        card = await MemberCard.get(id=purchase.card_id).select_related("tier")
    points_money = sum(
        await LedgerEntry.filter(
            purchase_id=purchase.id, kind=LedgerKind.REDEEM_POINTS
        ).values_list("amount_cents", flat=True)
    )
    return PurchaseResult(
        purchase=purchase,
        card=card,
        points_earned=purchase.points_earned,
        points_spent=purchase.points_spent,
        value_spent_cents=purchase.value_spent_cents,
        discount_cents=purchase.discount_cents,
        due_cents=purchase.amount_cents
        - purchase.discount_cents
        - points_money
        - purchase.value_spent_cents,
        upgraded_to=None,
        replayed=True,
    )


# ------------------------------------------------------------------------------ spending


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
    """Ask the holder to approve paying part of a purchase of `amount_cents` with points
    and/or stored value. Checks the program's rules and the balances now (approval checks
    the balances again); nothing moves until approve_spend. The same key returns the same
    request. CardError bad_amount, own_card, points_off, min_order, max_points, too_much,
    no_stored_value, insufficient_points, insufficient_balance, no_password, locked."""
    _check_key(key)
    known = await SpendRequest.get_or_none(key=key)
    if known is not None:
        return known
    card = await MemberCard.get_or_none(id=card_id).select_related("tier")
    if card is None:
        raise CardError("not_found")
    await staff.require(staff_id, card.shop_id, Permission.RECORD_PURCHASE)
    if card.user_id == staff_id:
        raise CardError("own_card")
    program, _ = await _program(card.shop_id)
    if not 1 <= amount_cents <= MAX_CENTS or points < 0 or value_cents < 0:
        raise CardError("bad_amount", max=MAX_CENTS)
    if points == 0 and value_cents == 0:
        raise CardError("nothing_to_spend")
    if points:
        if program.points_per_currency_unit_off <= 0:
            raise CardError("points_off")
        if amount_cents < program.min_order_cents:
            raise CardError("min_order", min_order_cents=program.min_order_cents)
        if program.max_points_per_order and points > program.max_points_per_order:
            raise CardError("max_points", max_points=program.max_points_per_order)
        if points > card.points:
            raise CardError("insufficient_points", points=card.points)
    if value_cents:
        if not program.stored_value:
            raise CardError("no_stored_value")
        if value_cents > card.balance_cents:
            raise CardError("insufficient_balance", balance_cents=card.balance_cents)
    # Before the coupon (it is checked when the purchase is recorded, with the approval).
    figures = quote(amount_cents, tier=card.tier, program=program, points=points)
    if figures.points_cents + value_cents > figures.payable_cents:
        raise CardError("too_much", payable=figures.payable_cents)
    _ready_to_approve(card, now)
    try:
        return await SpendRequest.create(
            card_id=card_id,
            staff_id=staff_id,
            amount_cents=amount_cents,
            points=points,
            value_cents=value_cents,
            coupon_claim_id=coupon_claim_id,
            key=key,
            created_at=_utc(now),
            expires_at=_utc(now) + timedelta(minutes=settings().approval_minutes),
        )
    except IntegrityError:
        return await SpendRequest.get(key=key)


async def request_reward(
    card_id: int, staff_id: int, reward_id: int, *, key: str, now: datetime
) -> SpendRequest:
    """Ask the holder to approve exchanging points for one of the program's rewards (a
    listed service or a gift); approved, it is recorded as a purchase of nothing in money
    with the reward's points spent. CardError not_found, own_card, insufficient_points,
    no_password, locked."""
    _check_key(key)
    known = await SpendRequest.get_or_none(key=key)
    if known is not None:
        return known
    card = await MemberCard.get_or_none(id=card_id)
    reward = await Reward.get_or_none(id=reward_id).select_related("program")
    if card is None or reward is None or reward.program.shop_id != card.shop_id:
        raise CardError("not_found")
    await staff.require(staff_id, card.shop_id, Permission.RECORD_PURCHASE)
    if card.user_id == staff_id:
        raise CardError("own_card")
    if reward.points > card.points:
        raise CardError("insufficient_points", points=card.points)
    _ready_to_approve(card, now)
    try:
        return await SpendRequest.create(
            card_id=card_id,
            staff_id=staff_id,
            amount_cents=0,
            points=reward.points,
            reward_id=reward.id,
            key=key,
            created_at=_utc(now),
            expires_at=_utc(now) + timedelta(minutes=settings().approval_minutes),
        )
    except IntegrityError:
        return await SpendRequest.get(key=key)


def _ready_to_approve(card: MemberCard, now: datetime) -> None:
    """Spending needs a password set and not locked."""
    if card.password_hash is None:
        raise CardError("no_password")
    if card.locked_until is not None and card.locked_until > now:
        raise CardError("locked", until=card.locked_until)


async def _holders_request(request_id: int, user_id: int) -> SpendRequest:
    request = await SpendRequest.get_or_none(id=request_id).select_related("card")
    if request is None or request.card.user_id != user_id:
        raise CardError("not_found")
    return request


async def _still_pending(request: SpendRequest, now: datetime) -> None:
    """CardError decided (approved or declined before) or expired (and marked so)."""
    if request.status != SpendStatus.PENDING:
        raise CardError("expired" if request.status == SpendStatus.EXPIRED else "decided")
    if now >= request.expires_at:
        await SpendRequest.filter(id=request.id, status=SpendStatus.PENDING).update(
            status=SpendStatus.EXPIRED, decided_at=now
        )
        raise CardError("expired")


async def approve_spend(
    request_id: int, user_id: int, password: str, *, now: datetime
) -> PurchaseResult:
    """The holder approves with their password: the purchase is recorded with its spend, in
    one transaction with the request's approval. Approving again returns the first result.
    CardError not_found, decided, expired, no_password, wrong_password (left), locked (until),
    insufficient_points / insufficient_balance (the request stays pending)."""
    request = await _holders_request(request_id, user_id)
    if request.status == SpendStatus.APPROVED and request.purchase_id is not None:
        return await _replayed(await Purchase.get(id=request.purchase_id))
    await _still_pending(request, now)
    await passwords.check_password(request.card_id, password, now=now)
    return await _purchase(
        request.card.shop_id,
        request.card,
        user_id,
        request.amount_cents,
        request.staff_id,
        key=request.key,
        now=now,
        coupon_claim_id=request.coupon_claim_id,
        points=request.points,
        value_cents=request.value_cents,
        request_id=request.id,
        reward=None if request.reward_id is None else await Reward.get(id=request.reward_id),
    )


async def decline_spend(request_id: int, user_id: int, *, now: datetime) -> SpendRequest:
    """The holder declines: nothing moves. CardError not_found, decided, expired."""
    request = await _holders_request(request_id, user_id)
    await _still_pending(request, now)
    changed = await SpendRequest.filter(id=request_id, status=SpendStatus.PENDING).update(
        status=SpendStatus.DECLINED, decided_at=now
    )
    if changed != 1:
        raise CardError("decided")
    await request.refresh_from_db()
    return request


async def expire_requests(now: datetime) -> list[SpendRequest]:
    """Mark pending requests past their time expired; returns them (to edit both sides)."""
    due = await SpendRequest.filter(status=SpendStatus.PENDING, expires_at__lte=now)
    expired = []
    for request in due:
        if await SpendRequest.filter(id=request.id, status=SpendStatus.PENDING).update(
            status=SpendStatus.EXPIRED, decided_at=now
        ):
            expired.append(request)
    return expired


# ------------------------------------------------------------------------------ top-ups


async def top_up(
    card_id: int, staff_id: int, amount_cents: int, *, key: str, now: datetime
) -> TopUpResult:
    """Stored value paid in at the counter, with the best matching bonus, and the upgrade a
    large enough single top-up gives. The same key returns the first result. CardError
    not_found, bad_amount, own_card, no_stored_value; NotAllowed without TOP_UP."""
    _check_key(key)
    now = _utc(now)
    known = await LedgerEntry.get_or_none(key=key)
    if known is not None:
        return await _replayed_top_up(known)
    card = await MemberCard.get_or_none(id=card_id)
    if card is None:
        raise CardError("not_found")
    await staff.require(staff_id, card.shop_id, Permission.TOP_UP)
    if card.user_id == staff_id:
        raise CardError("own_card")
    if not 1 <= amount_cents <= MAX_CENTS:
        raise CardError("bad_amount", max=MAX_CENTS)
    program, tiers = await _program(card.shop_id)
    if not program.stored_value:
        raise CardError("no_stored_value")
    await program.fetch_related("bonuses")
    bonus = best_bonus(program.bonuses, amount_cents)
    try:
        async with in_transaction():
            entry = await _move_balance(
                card_id,
                LedgerKind.TOP_UP,
                amount_cents,
                now=now,
                staff_id=staff_id,
                amount_cents=amount_cents,
                key=key,
            )
            if bonus:
                await _move_balance(
                    card_id,
                    LedgerKind.TOP_UP_BONUS,
                    bonus,
                    now=now,
                    staff_id=staff_id,
                    amount_cents=amount_cents,
                    key=f"{key}+b",
                )
            upgraded = await _upgrade(card, tiers, topup_cents=amount_cents)
    except IntegrityError:
        known = await LedgerEntry.get_or_none(key=key)
        if known is None:
            raise
        return await _replayed_top_up(known)
    return TopUpResult(
        entry=entry,
        card=await MemberCard.get(id=card_id).select_related("tier"),
        amount_cents=amount_cents,
        bonus_cents=bonus,
        upgraded_to=upgraded,
    )


async def _replayed_top_up(entry: LedgerEntry) -> TopUpResult:
    if entry.kind != LedgerKind.TOP_UP:
        raise CardError("key_reused")
    bonus = await LedgerEntry.get_or_none(key=f"{entry.key}+b")
    return TopUpResult(
        entry=entry,
        card=await MemberCard.get(id=entry.card_id).select_related("tier"),
        amount_cents=entry.balance_delta,
        bonus_cents=0 if bonus is None else bonus.balance_delta,
        upgraded_to=None,
        replayed=True,
    )


# ------------------------------------------------------------------------------ owner's moves


async def adjust_points(
    card_id: int, owner_id: int, delta: int, reason: str, *, key: str, now: datetime
) -> LedgerEntry:
    """Add (delta > 0) or remove points by hand, with a reason; the same key returns the
    first entry. CardError not_found, bad_amount, reason, insufficient_points; NotAllowed
    without ADJUST_POINTS."""
    _check_key(key)
    now = _utc(now)
    known = await LedgerEntry.get_or_none(key=key)
    if known is not None:
        return known
    card = await MemberCard.get_or_none(id=card_id)
    if card is None:
        raise CardError("not_found")
    await staff.require(owner_id, card.shop_id, Permission.ADJUST_POINTS)
    reason = " ".join(reason.split())
    if not reason or len(reason) > REASON_MAX:
        raise CardError("reason", max=REASON_MAX)
    if delta == 0 or abs(delta) > MAX_POINTS:
        raise CardError("bad_amount", max=MAX_POINTS)
    program, _ = await _program(card.shop_id)
    try:
        async with in_transaction():
            if delta > 0:
                return await _credit_points(
                    card,
                    LedgerKind.ADJUST,
                    delta,
                    now=now,
                    expires_at=_expiry(program, now),
                    staff_id=owner_id,
                    reason=reason,
                    key=key,
                )
            return await _debit_points(
                card_id,
                LedgerKind.ADJUST,
                -delta,
                now=now,
                staff_id=owner_id,
                reason=reason,
                key=key,
            )
    except IntegrityError:
        known = await LedgerEntry.get_or_none(key=key)
        if known is None:
            raise
        return known


def _too_old(program: CardProgram, created_at: datetime, now: datetime) -> bool:
    return now - created_at > timedelta(days=program.void_days)


async def void_purchase(purchase_id: int, owner_id: int, *, now: datetime) -> VoidResult:
    """Undo a purchase within the program's `void_days`: points earned taken back, points
    and stored value spent given back, the coupon back in the wallet, the customer record's
    spend and visits reduced; all in one transaction. CardError not_found, too_old,
    already_voided, insufficient (its points were spent meanwhile); NotAllowed without VOID."""
    now = _utc(now)
    purchase = await Purchase.get_or_none(id=purchase_id)
    if purchase is None:
        raise CardError("not_found")
    await staff.require(owner_id, purchase.shop_id, Permission.VOID)
    if purchase.voided_at is not None:
        raise CardError("already_voided")
    program = await CardProgram.get_or_none(shop_id=purchase.shop_id)
    void_days = program.void_days if program is not None else 7
    if now - purchase.created_at > timedelta(days=void_days):
        raise CardError("too_old", days=void_days)
    points_delta = purchase.points_spent - purchase.points_earned
    balance_delta = purchase.value_spent_cents
    async with in_transaction():
        changed = await Purchase.filter(id=purchase_id, voided_at__isnull=True).update(
            voided_at=now, voided_by_id=owner_id
        )
        if changed != 1:
            raise CardError("already_voided")
        restored = False
        if purchase.coupon_claim_id is not None:
            restored = await coupons.unredeem(purchase.coupon_claim_id)
        card = None
        if purchase.card_id is not None:
            card = await MemberCard.get(id=purchase.card_id)
            entry = {
                "purchase_id": purchase_id,
                "staff_id": owner_id,
                "key": f"void-p:{purchase_id}",
            }
            if points_delta < 0:
                changed = await MemberCard.filter(id=card.id, points__gte=-points_delta).update(
                    points=F("points") + points_delta
                )
                if changed != 1:
                    raise CardError("insufficient")
                await _consume_earned_first(card.id, purchase_id, -points_delta)
                left, expires = 0, None
            else:
                await MemberCard.filter(id=card.id).update(points=F("points") + points_delta)
                left = points_delta
                expires = None if program is None else _expiry(program, now)
            await MemberCard.filter(id=card.id).update(
                balance_cents=F("balance_cents") + balance_delta
            )
            earned_base = sum(
                await LedgerEntry.filter(purchase_id=purchase_id, kind=LedgerKind.EARN).values_list(
                    "amount_cents", flat=True
                )
            )
            await MemberCard.filter(id=card.id, spend_cents__gte=earned_base).update(
                spend_cents=F("spend_cents") - earned_base
            )
            await LedgerEntry.create(
                card_id=card.id,
                kind=LedgerKind.VOID,
                points_delta=points_delta,
                balance_delta=balance_delta,
                amount_cents=purchase.amount_cents,
                points_left=left,
                expires_at=expires,
                created_at=now,
                **entry,
            )
        await _unrecord_purchase(purchase)
    if card is not None:
        card = await MemberCard.get(id=card.id).select_related("tier")
    return VoidResult(card, points_delta, balance_delta, restored)  # type: ignore[arg-type]


async def _consume_earned_first(card_id: int, purchase_id: int, points: int) -> None:
    """Take back what the purchase earned: from its own credit first, then oldest first."""
    own = await LedgerEntry.get_or_none(purchase_id=purchase_id, kind=LedgerKind.EARN)
    left = points
    if own is not None and own.points_left > 0:
        take = min(left, own.points_left)
        await LedgerEntry.filter(id=own.id).update(points_left=F("points_left") - take)
        left -= take
    if left:
        await _consume(card_id, left)


async def _unrecord_purchase(purchase: Purchase) -> None:
    """The customer record without the voided purchase: one visit and its spend fewer, and
    the first purchase is the first purchase still standing (none: not a buyer)."""
    payable = purchase.amount_cents - purchase.discount_cents
    first = (
        await Purchase.valid()
        .filter(shop_id=purchase.shop_id, user_id=purchase.user_id)
        .order_by("created_at")
        .first()
    )
    record = Customer.filter(shop_id=purchase.shop_id, user_id=purchase.user_id)
    await record.filter(visits__gt=0).update(visits=F("visits") - 1)
    await record.filter(spend_cents__gte=payable).update(spend_cents=F("spend_cents") - payable)
    await record.update(bought_at=None if first is None else first.created_at)
    found = await record.first()
    if found is not None:
        times = [
            t
            for t in (found.claimed_at, found.redeemed_at, found.bought_at, found.joined_at)
            if t is not None
        ]
        await record.update(customer_since=min(times) if times else None)


async def void_top_up(entry_id: int, owner_id: int, *, now: datetime) -> VoidResult:
    """Undo a top-up (and its bonus) within `void_days`. CardError not_found, too_old,
    already_voided, insufficient (the value was spent meanwhile); NotAllowed without VOID."""
    now = _utc(now)
    entry = await LedgerEntry.get_or_none(id=entry_id, kind=LedgerKind.TOP_UP)
    if entry is None:
        raise CardError("not_found")
    card = await MemberCard.get(id=entry.card_id)
    await staff.require(owner_id, card.shop_id, Permission.VOID)
    program, _ = await _program(card.shop_id)
    if _too_old(program, entry.created_at, now):
        raise CardError("too_old", days=program.void_days)
    bonus = await LedgerEntry.get_or_none(key=f"{entry.key}+b") if entry.key else None
    total = entry.balance_delta + (0 if bonus is None else bonus.balance_delta)
    try:
        async with in_transaction():
            await _move_balance(
                card.id,
                LedgerKind.VOID,
                -total,
                now=now,
                staff_id=owner_id,
                amount_cents=entry.amount_cents,
                key=f"void-t:{entry_id}",
            )
    except IntegrityError:
        raise CardError("already_voided") from None
    except CardError as error:
        if await LedgerEntry.exists(key=f"void-t:{entry_id}"):
            raise CardError("already_voided") from None
        raise CardError("insufficient") from error
    card = await MemberCard.get(id=card.id).select_related("tier")
    return VoidResult(card, 0, -total, False)


async def voided_top_up(entry_id: int) -> bool:
    return await LedgerEntry.exists(key=f"void-t:{entry_id}")


__all__ = [
    "Alert",
    "ExpiryNotice",
    "Mismatch",
    "PurchaseResult",
    "TierChange",
    "TopUpResult",
    "VoidResult",
    "add_months",
    "check_ledger",
    "downgrades_ahead",
    "expire_points",
    "expiring_soon",
    "requalify",
    "suspicious",
]
