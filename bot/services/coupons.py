"""Coupons: what a shop offers, the claims customers hold in their wallet, and redemption at
the counter. No Telegram here; every refusal is a CouponError whose `reason` the handler
translates, with `details` for the message (e.g. when and where a code was already used).

Concurrency without row locks, so SQLite and PostgreSQL behave alike:
- stock: a claim takes one unit with a conditional UPDATE (`claimed_count < stock`) that must
  touch exactly one row, in the same transaction as the claim row;
- per-person limit: claims are numbered (`seq`) and unique (coupon, user, seq), so two racing
  claims past the limit collide on insert and the loser's stock increment rolls back;
- single use: redeeming is a conditional UPDATE from active to redeemed that one caller wins;
- first-time coupons: the claim's update of the customer record (bot.services.customers) has
  the first-time rule in its WHERE, so of racing claims of two such coupons only one wins.
On PostgreSQL the stock UPDATE also holds the coupon's row until commit, which queues claims
of one coupon; SQLite runs one transaction at a time (Tortoise serialises them on its single
connection), so neither needs retries for "database is locked" within one process.

Time is always passed in (`now`), never read here. Claims of an ended coupon stay usable until
they expire (ending stops new claims, e.g. a sold-out flash deal); a paused coupon is neither
claimed nor redeemed until resumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from bot.models import (
    Audience,
    ClaimStatus,
    Coupon,
    CouponClaim,
    CouponKind,
    CouponStatus,
    CustomerEvent,
    MemberCard,
    Shop,
    ShopStatus,
    SurveySource,
    Tier,
)
from bot.services import care, customers, staff
from bot.services.codes import InvalidCode, generate_code, normalize_code, parse_code
from bot.services.staff import Permission
from bot.services.visible import is_blank

TITLE_MAX = 64  # the column
TERMS_MAX = 500
MAX_STOCK = 1_000_000
MAX_PER_USER = 99
MAX_VALID_DAYS = 366
MAX_CENTS = 100_000_000  # one million in currency units: far beyond any small shop's coupon
#: Fresh attempts after an insert collided (a racing claim took the same `seq`, or a code
#: collided); each attempt recounts, so the limit still holds.
CLAIM_ATTEMPTS = 3
WALLET_HISTORY = 20
_STATUS_ORDER = {CouponStatus.ACTIVE: 0, CouponStatus.PAUSED: 1, CouponStatus.ENDED: 2}


class CouponError(Exception):
    """A coupon action refused for a reason the user can be told (`reason` is a code; `details`
    carry what the message needs, e.g. `redeemed_at` and `shop_name` for already_redeemed)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class CouponStats:
    stock_left: int | None  # None: unlimited
    claimed: int
    redeemed: int


@dataclass(frozen=True)
class WalletItem:
    """A claim with what it takes to show it: its coupon and the shop's name."""

    claim: CouponClaim
    coupon: Coupon
    shop_name: str
    expires_at: datetime | None


@dataclass(frozen=True)
class RedeemPreview:
    """What staff see before confirming a redemption (their own shop's coupon only)."""

    claim_id: int
    code: str
    shop_id: int
    shop_name: str
    title: str
    kind: CouponKind
    value: int
    terms: str
    min_spend_cents: int
    customer_first_name: str
    claimed_at: datetime
    expires_at: datetime | None


# ------------------------------------------------------------------------------ merchants


async def create_coupon(
    shop_id: int,
    *,
    kind: CouponKind,
    value: int,
    title: str,
    terms: str = "",
    min_spend_cents: int = 0,
    stock: int | None = None,
    per_user_limit: int = 1,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    valid_days: int | None = None,
    audience: Audience = Audience.EVERYONE,
    audience_tier: int | None = None,
    flash_ends_at: datetime | None = None,
    granted: bool = False,
) -> Coupon:
    """A new active coupon, or CouponError: bad_value, bad_title, bad_terms, bad_min_spend,
    bad_stock, bad_limit, bad_validity (neither or both of an end date and N days), bad_range
    (end not after start), bad_days, bad_flash (flash end not after start), bad_audience
    (a tier coupon without a tier), not_found (no such shop)."""
    value = _checked_value(kind, value)
    title = clean_title(title)
    terms = "" if is_blank(terms) else terms.strip()
    if len(terms) > TERMS_MAX:
        raise CouponError("bad_terms", max=TERMS_MAX)
    if not 0 <= min_spend_cents <= MAX_CENTS:
        raise CouponError("bad_min_spend")
    if stock is not None and not 1 <= stock <= MAX_STOCK:
        raise CouponError("bad_stock", max=MAX_STOCK)
    if not 1 <= per_user_limit <= MAX_PER_USER:
        raise CouponError("bad_limit", max=MAX_PER_USER)
    if (valid_until is None) == (valid_days is None):
        raise CouponError("bad_validity")
    if valid_until is not None and valid_from is not None and valid_until <= valid_from:
        raise CouponError("bad_range")
    if valid_days is not None and not 1 <= valid_days <= MAX_VALID_DAYS:
        raise CouponError("bad_days", max=MAX_VALID_DAYS)
    if flash_ends_at is not None and valid_from is not None and flash_ends_at <= valid_from:
        raise CouponError("bad_flash")
    if audience == Audience.TIER and (
        audience_tier is None or not await Tier.exists(id=audience_tier, program__shop_id=shop_id)
    ):
        raise CouponError("bad_audience")
    if not await Shop.exists(id=shop_id):
        raise CouponError("not_found")
    return await Coupon.create(
        shop_id=shop_id,
        kind=kind,
        value=value,
        title=title,
        terms=terms,
        min_spend_cents=min_spend_cents,
        stock=stock,
        per_user_limit=per_user_limit,
        valid_from=valid_from,
        valid_until=valid_until,
        valid_days=valid_days,
        audience=audience,
        audience_tier=audience_tier if audience == Audience.TIER else None,
        flash_ends_at=flash_ends_at,
        granted=granted,
    )


def clean_title(title: str) -> str:
    """The title on one line, or CouponError bad_title (nothing visible, or too long)."""
    title = " ".join(title.split())
    if is_blank(title) or len(title) > TITLE_MAX:
        raise CouponError("bad_title", max=TITLE_MAX)
    return title


def _checked_value(kind: CouponKind, value: int) -> int:
    """Percent 1..99; cents above zero for amounts and vouchers; a gift has no value."""
    if kind == CouponKind.GIFT:
        return 0
    low, high = (1, 99) if kind == CouponKind.PERCENT else (1, MAX_CENTS)
    if not low <= value <= high:
        raise CouponError("bad_value")
    return value


async def pause(coupon_id: int, shop_id: int) -> Coupon:
    """Stop claims and redemptions for now (pausing twice is harmless); ended stays ended."""
    return await _move(coupon_id, shop_id, CouponStatus.ACTIVE, CouponStatus.PAUSED)


async def resume(coupon_id: int, shop_id: int) -> Coupon:
    """Open a paused coupon again (resuming an active one is harmless)."""
    return await _move(coupon_id, shop_id, CouponStatus.PAUSED, CouponStatus.ACTIVE)


async def end(coupon_id: int, shop_id: int) -> Coupon:
    """Stop new claims for good. Claims already held stay usable until they expire."""
    coupon = await _coupon_of_shop(coupon_id, shop_id)
    await Coupon.filter(id=coupon_id, status__not=CouponStatus.ENDED).update(
        status=CouponStatus.ENDED
    )
    await coupon.refresh_from_db()
    return coupon


async def _move(coupon_id: int, shop_id: int, source: CouponStatus, target: CouponStatus) -> Coupon:
    coupon = await _coupon_of_shop(coupon_id, shop_id)
    await Coupon.filter(id=coupon_id, status=source).update(status=target)
    await coupon.refresh_from_db()
    if coupon.status == CouponStatus.ENDED:
        raise CouponError("ended")
    return coupon


async def _coupon_of_shop(coupon_id: int, shop_id: int) -> Coupon:
    """The coupon if it belongs to the shop: a forged or stale id is not_found."""
    coupon = await Coupon.get_or_none(id=coupon_id, shop_id=shop_id)
    if coupon is None:
        raise CouponError("not_found")
    return coupon


async def list_coupons(shop_id: int) -> list[Coupon]:
    """The shop's coupons: active, then paused, then ended; newest first within each."""
    coupons = await Coupon.filter(shop_id=shop_id).order_by("-created_at", "-id")
    return sorted(coupons, key=lambda c: _STATUS_ORDER[c.status])


async def page_coupons(shop_id: int) -> list[Coupon]:
    """The coupons the shop's page offers (in list order): never a flash deal's copy, which
    is for the people its push reached, claimed through the push's own button."""
    return [c for c in await list_coupons(shop_id) if c.flash_ends_at is None and not c.granted]


async def coupon_stats(coupon_id: int) -> CouponStats:
    coupon = await Coupon.get_or_none(id=coupon_id)
    if coupon is None:
        raise CouponError("not_found")
    return CouponStats(stock_left(coupon), coupon.claimed_count, coupon.redeemed_count)


def stock_left(coupon: Coupon) -> int | None:
    """Units still to claim, or None when the stock is unlimited."""
    return None if coupon.stock is None else max(coupon.stock - coupon.claimed_count, 0)


def is_exhausted(coupon: Coupon) -> bool:
    """Whether every unit is claimed: a flash deal should end then."""
    return stock_left(coupon) == 0


# ------------------------------------------------------------------------------ claiming


async def claim(
    coupon_id: int, user_id: int, *, now: datetime, promotion_id: int | None = None
) -> CouponClaim:
    """Put one unit of the coupon in the user's wallet, or CouponError: not_found, ended,
    own_shop, paused, not_started, expired, limit_reached, sold_out, not_eligible, tier_needed
    (`tier`: the name of the card tier needed, that or higher).

    The claim's `coupon` is the coupon as this claim left it: `is_exhausted(claim.coupon)`
    tells the caller that this claim took the last unit (time to end a flash deal)."""
    coupon = await Coupon.get_or_none(id=coupon_id, shop__status=ShopStatus.APPROVED, granted=False)
    if coupon is None:  # a granted coupon is given (grant), never claimed
        raise CouponError("not_found")
    await ensure_claimable(coupon, user_id, now=now)
    for _ in range(CLAIM_ATTEMPTS):
        try:
            return await _take_one(coupon, user_id, now=now, promotion_id=promotion_id)
        except IntegrityError:  # a racing claim took this seq (or, rarely, this code)
            continue
    raise CouponError("limit_reached", limit=coupon.per_user_limit)


async def ensure_claimable(coupon: Coupon, user_id: int, *, now: datetime) -> None:
    """Raise the reason this user cannot claim the coupon now; return if they can. Claim
    buttons can use it to show the reason up front."""
    if coupon.status == CouponStatus.ENDED:
        raise CouponError("ended")
    if await staff.works_at(user_id, coupon.shop_id):
        raise CouponError("own_shop")
    if coupon.status == CouponStatus.PAUSED:
        raise CouponError("paused")
    if coupon.valid_from is not None and now < coupon.valid_from:
        raise CouponError("not_started", starts_at=coupon.valid_from)
    if _claim_window_closed(coupon, now):
        raise CouponError("expired")
    held = await CouponClaim.filter(coupon_id=coupon.id, user_id=user_id).count()
    if held >= coupon.per_user_limit:
        raise CouponError("limit_reached", limit=coupon.per_user_limit)
    if is_exhausted(coupon):
        raise CouponError("sold_out")
    if not await is_eligible(coupon, user_id):
        if coupon.audience == Audience.TIER:  # "tier_needed": say which tier (or above)
            needed = await Tier.get_or_none(id=coupon.audience_tier or 0)
            raise CouponError("tier_needed", tier=needed.name if needed else "")
        raise CouponError("not_eligible", audience=coupon.audience)


async def is_eligible(coupon: Coupon, user_id: int) -> bool:
    """The audience rule, in one place. Everyone: yes. New customers: first-time at the shop
    for this coupon (bot.services.customers.is_first_time; the claim transaction enforces it
    again). A card tier: members of the shop's card in that tier or a higher one (by rank)."""
    if coupon.audience == Audience.EVERYONE:
        return True
    if coupon.audience == Audience.NEW_CUSTOMERS:
        return await customers.is_first_time(coupon.shop_id, user_id, coupon_id=coupon.id)
    if coupon.audience == Audience.TIER and coupon.audience_tier is not None:
        needed = await Tier.get_or_none(id=coupon.audience_tier)
        card = await MemberCard.get_or_none(shop_id=coupon.shop_id, user_id=user_id)
        if needed is None or card is None:
            return False
        held = await Tier.get_or_none(id=card.tier_id)  # type: ignore[attr-defined]
        same_program = held is not None and held.program_id == needed.program_id  # type: ignore[attr-defined]
        return same_program and held.rank >= needed.rank  # type: ignore[union-attr]
    return False


def claim_expiry(coupon: Coupon, claimed_at: datetime) -> datetime | None:
    """When a claim made at `claimed_at` expires: the earliest of the fixed range's end, N days
    after the claim, and the flash deal's end."""
    ends = [coupon.valid_until, coupon.flash_ends_at]
    if coupon.valid_days is not None:
        ends.append(claimed_at + timedelta(days=coupon.valid_days))
    return min((end for end in ends if end is not None), default=None)


def _claim_window_closed(coupon: Coupon, now: datetime) -> bool:
    return any(end is not None and now >= end for end in (coupon.valid_until, coupon.flash_ends_at))


async def _take_one(
    coupon: Coupon, user_id: int, *, now: datetime, promotion_id: int | None
) -> CouponClaim:
    """One transaction: take a unit of stock, number the claim, keep the customer record (for
    a first-time coupon only while the person is still first-time), insert the claim. Any
    refusal or collision rolls it all back."""
    async with in_transaction():
        taken = (
            await Coupon.filter(id=coupon.id, status=CouponStatus.ACTIVE)
            .filter(Q(stock__isnull=True) | Q(claimed_count__lt=F("stock")))
            .update(claimed_count=F("claimed_count") + 1)
        )
        if taken != 1:
            current = await Coupon.get(id=coupon.id)
            if current.status != CouponStatus.ACTIVE:
                raise CouponError(current.status.value)  # paused or ended meanwhile
            raise CouponError("sold_out")
        held = await CouponClaim.filter(coupon_id=coupon.id, user_id=user_id).count()
        if held >= coupon.per_user_limit:
            raise CouponError("limit_reached", limit=coupon.per_user_limit)
        if not await customers.record_event(
            coupon.shop_id,
            user_id,
            CustomerEvent.CLAIM,
            at=now,
            coupon_id=coupon.id,
            first_time_only=coupon.audience == Audience.NEW_CUSTOMERS,
        ):
            raise CouponError("not_eligible", audience=coupon.audience)
        fresh = await Coupon.get(id=coupon.id)
        return await CouponClaim.create(
            coupon=fresh,
            user_id=user_id,
            seq=held + 1,
            code=normalize_code(generate_code()),
            claimed_at=now,
            expires_at=claim_expiry(fresh, now),
            promotion_id=promotion_id,
        )


async def grant(coupon_id: int, user_id: int, now: datetime) -> CouponClaim | None:
    """Give the person one unit of the coupon (a birthday or holiday gift): a claim made
    directly, skipping the claim rules (audience, per-person limit, stock); never listed on
    the shop page. None when the coupon cannot be given any more (ended, or its validity
    over): the greeting goes out without it. Runs inside the caller's transaction (the
    greeting job's), so the gift and its greeting commit together."""
    coupon = await Coupon.get_or_none(id=coupon_id)
    if coupon is None or coupon.status == CouponStatus.ENDED or _claim_window_closed(coupon, now):
        return None
    for _ in range(CLAIM_ATTEMPTS):
        held = await CouponClaim.filter(coupon_id=coupon.id, user_id=user_id).count()
        try:
            async with in_transaction():  # a savepoint inside the caller's transaction
                await Coupon.filter(id=coupon.id).update(claimed_count=F("claimed_count") + 1)
                return await CouponClaim.create(
                    coupon=coupon,
                    user_id=user_id,
                    seq=held + 1,
                    code=normalize_code(generate_code()),
                    claimed_at=now,
                    expires_at=claim_expiry(coupon, now),
                )
        except IntegrityError:  # a racing grant took this seq (or, rarely, this code)
            continue
    return None


async def claim_from_page(coupon_id: int, user_id: int, *, now: datetime) -> CouponClaim:
    """A claim through a shop page's button: as `claim`, but a flash deal's copy is not_found
    there (only its push offers it)."""
    if await Coupon.exists(id=coupon_id, flash_ends_at__isnull=False):
        raise CouponError("not_found")
    return await claim(coupon_id, user_id, now=now)


# ------------------------------------------------------------------------------ redeeming


async def find_claim_for_redeem(code: str, staff_user_id: int, *, now: datetime) -> RedeemPreview:
    """What a scanned or typed code is, for staff to confirm; or CouponError: malformed,
    bad_check (before the database), not_staff, unknown (also another shop's code: answered
    exactly like a code that does not exist, so codes of other shops cannot be probed),
    already_redeemed (redeemed_at, shop_name), expired, paused."""
    try:
        compact = parse_code(code)
    except InvalidCode as error:
        raise CouponError(error.reason) from None
    shop_ids = await _staffed_shops(staff_user_id)
    found = await CouponClaim.filter(code=compact).prefetch_related("coupon__shop", "user").first()
    if found is None:
        raise CouponError("unknown")
    _ensure_redeemable(found, shop_ids, now)
    coupon, shop = found.coupon, found.coupon.shop
    return RedeemPreview(
        claim_id=found.id,
        code=found.code,
        shop_id=shop.id,
        shop_name=shop.name,
        title=coupon.title,
        kind=coupon.kind,
        value=coupon.value,
        terms=coupon.terms,
        min_spend_cents=coupon.min_spend_cents,
        customer_first_name=found.user.first_name,
        claimed_at=found.claimed_at,
        expires_at=found.expires_at,
    )


async def redeem(claim_id: int, staff_user_id: int, *, now: datetime) -> CouponClaim:
    """Mark the claim used, exactly once however many times staff tap; the same refusals as
    find_claim_for_redeem (unknown for a missing claim)."""
    shop_ids = await _staffed_shops(staff_user_id)
    found = await CouponClaim.get_or_none(id=claim_id).prefetch_related("coupon__shop")
    if found is None:
        raise CouponError("unknown")
    _ensure_redeemable(found, shop_ids, now)
    async with in_transaction():
        await _mark_redeemed(found, staff_user_id, now)
        await customers.record_event(
            found.coupon.shop_id, found.user_id, CustomerEvent.REDEEM, at=now
        )
        await care.survey_after_visit(
            found.coupon.shop_id, found.user_id, SurveySource.REDEEM, claim_id, at=now
        )
    await found.refresh_from_db()
    return found


async def redeem_with_purchase(
    claim_id: int,
    staff_user_id: int | None,
    shop_id: int,
    user_id: int,
    amount_cents: int,
    *,
    now: datetime,
) -> CouponClaim:
    """Redeem the holder's claim as part of a purchase of `amount_cents` at the shop: call it
    inside the purchase's transaction (the purchase is the visit, so no REDEEM event is
    recorded). The refusals of `redeem`, plus not_holder (someone else's coupon) and
    min_spend (min_spend_cents)."""
    found = await CouponClaim.get_or_none(id=claim_id).prefetch_related("coupon__shop")
    if found is None:
        raise CouponError("unknown")
    _ensure_redeemable(found, {shop_id}, now)
    if found.user_id != user_id:
        raise CouponError("not_holder")
    if amount_cents < found.coupon.min_spend_cents:
        raise CouponError("min_spend", min_spend_cents=found.coupon.min_spend_cents)
    await _mark_redeemed(found, staff_user_id, now)
    return found


async def _mark_redeemed(found: CouponClaim, staff_user_id: int | None, now: datetime) -> None:
    """Active → redeemed, which one caller wins; inside the caller's transaction."""
    changed = await CouponClaim.filter(id=found.id, status=ClaimStatus.ACTIVE).update(
        status=ClaimStatus.REDEEMED, redeemed_at=now, redeemed_by_id=staff_user_id
    )
    if changed != 1:
        await found.refresh_from_db()
        raise _already_redeemed(found)
    await Coupon.filter(id=found.coupon_id).update(redeemed_count=F("redeemed_count") + 1)


async def unredeem(claim_id: int) -> bool:
    """Put a redeemed claim back in its holder's wallet (a voided purchase): inside the void's
    transaction. False if it was not redeemed."""
    found = await CouponClaim.get_or_none(id=claim_id)
    if found is None:
        return False
    changed = await CouponClaim.filter(id=claim_id, status=ClaimStatus.REDEEMED).update(
        status=ClaimStatus.ACTIVE, redeemed_at=None, redeemed_by_id=None
    )
    if changed == 1:
        await Coupon.filter(id=found.coupon_id).update(redeemed_count=F("redeemed_count") - 1)
    return changed == 1


def discount_of(coupon: Coupon, amount_cents: int) -> int:
    """Cents the coupon takes off an order of `amount_cents` (a gift takes nothing off the
    price; never more than the order)."""
    if coupon.kind == CouponKind.PERCENT:
        off = amount_cents * coupon.value // 100
    elif coupon.kind in (CouponKind.AMOUNT, CouponKind.VOUCHER):
        off = coupon.value
    else:
        off = 0
    return max(0, min(amount_cents, off))


async def _staffed_shops(user_id: int) -> set[int]:
    """The shops whose coupons this user may redeem (CouponError not_staff when none)."""
    shop_ids = {shop.id for shop in await staff.shops_where(user_id, Permission.REDEEM)}
    if not shop_ids:
        raise CouponError("not_staff")
    return shop_ids


def _ensure_redeemable(found: CouponClaim, shop_ids: set[int], now: datetime) -> None:
    """The checks behind a redemption, on a claim loaded with its coupon and shop."""
    if found.coupon.shop_id not in shop_ids:
        raise CouponError("unknown")  # not "another shop's": that would confirm the code exists
    if found.status == ClaimStatus.REDEEMED:
        raise _already_redeemed(found)
    if found.expires_at is not None and now >= found.expires_at:
        raise CouponError("expired", expired_at=found.expires_at)
    if found.coupon.status == CouponStatus.PAUSED:
        raise CouponError("paused")


def _already_redeemed(found: CouponClaim) -> CouponError:
    return CouponError(
        "already_redeemed", redeemed_at=found.redeemed_at, shop_name=found.coupon.shop.name
    )


# ------------------------------------------------------------------------------ wallet


async def wallet(
    user_id: int, *, now: datetime, history: int = WALLET_HISTORY
) -> dict[str, list[WalletItem]]:
    """The user's claims as `active` (soonest to expire first), `used` (latest first) and
    `expired` (latest first); the last two keep only the `history` most recent."""
    claims = await CouponClaim.filter(user_id=user_id).prefetch_related("coupon__shop")
    items = [_item(c) for c in claims]
    active = [i for i in items if i.claim.status == ClaimStatus.ACTIVE and not _lapsed(i, now)]
    used = [i for i in items if i.claim.status == ClaimStatus.REDEEMED]
    expired = [i for i in items if i.claim.status == ClaimStatus.ACTIVE and _lapsed(i, now)]
    never = datetime.max.replace(tzinfo=now.tzinfo)
    active.sort(key=lambda i: (i.expires_at or never, i.claim.id))
    used.sort(key=lambda i: (i.claim.redeemed_at or now, i.claim.id), reverse=True)
    expired.sort(key=lambda i: (i.expires_at or now, i.claim.id), reverse=True)
    return {"active": active, "used": used[:history], "expired": expired[:history]}


async def claim_by_id_for_user(claim_id: int, user_id: int) -> WalletItem:
    """One claim from the user's own wallet; anyone else's claim id is not_found."""
    found = await CouponClaim.get_or_none(id=claim_id, user_id=user_id).prefetch_related(
        "coupon__shop"
    )
    if found is None:
        raise CouponError("not_found")
    return _item(found)


def _item(found: CouponClaim) -> WalletItem:
    return WalletItem(found, found.coupon, found.coupon.shop.name, found.expires_at)


def _lapsed(item: WalletItem, now: datetime) -> bool:
    return item.expires_at is not None and now >= item.expires_at


# ------------------------------------------------------------------------------ reminders


async def claims_expiring_between(start: datetime, end: datetime) -> list[WalletItem]:
    """Unused claims expiring in [start, end) whose holder was not reminded yet."""
    claims = (
        await CouponClaim.filter(
            status=ClaimStatus.ACTIVE, reminded=False, expires_at__gte=start, expires_at__lt=end
        )
        .order_by("expires_at", "id")
        .prefetch_related("coupon__shop")
    )
    return [_item(c) for c in claims]


async def mark_reminded(claim_ids: list[int]) -> int:
    """Flag the claims as reminded (so a restart never reminds twice); returns how many."""
    if not claim_ids:
        return 0
    return await CouponClaim.filter(id__in=claim_ids, reminded=False).update(reminded=True)


# ------------------------------------------------------------------------------ results


async def daily_counts(
    coupon_id: int, days: int, tz: str | tzinfo, *, now: datetime
) -> list[tuple[date, int, int]]:
    """(local date, claims, redemptions) for each of the last `days` days up to today in `tz`,
    oldest first, days without activity included. Counted in Python: grouping by a local date
    in SQL differs between SQLite and PostgreSQL, and one coupon's rows are few."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    today = now.astimezone(zone).date()
    first = today - timedelta(days=max(days, 1) - 1)
    since = datetime.combine(first, time(), zone)
    claims = CouponClaim.filter(coupon_id=coupon_id)
    claimed = await claims.filter(claimed_at__gte=since).values_list("claimed_at", flat=True)
    redeemed = await claims.filter(redeemed_at__gte=since).values_list("redeemed_at", flat=True)
    counts = {first + timedelta(days=n): [0, 0] for n in range((today - first).days + 1)}
    for column, moments in enumerate((claimed, redeemed)):
        for moment in moments:
            day = moment.astimezone(zone).date()
            if day in counts:
                counts[day][column] += 1
    return [(day, c, r) for day, (c, r) in counts.items()]
