"""Membership cards: joining a shop's card, finding a card at the counter, what a member sees
(their cards with tier progress, each card's history). Money and points move only through
bot/services/ledger.py.

A card number is nine digits, the last a Luhn check digit, so a mistyped digit is caught before
the database. The number identifies a card and grants nothing: spending needs the holder's
approval. Errors are CardError with a stable `reason` the handlers translate.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot import clock
from bot.models import (
    CardProgram,
    CustomerEvent,
    LedgerEntry,
    MemberCard,
    Reward,
    Shop,
    Tier,
    User,
)
from bot.services import card_tokens, customers
from bot.services.card_common import CardError, configure, settings
from bot.services.numbers import ascii_digits

NUMBER_DIGITS = 9  # eight random digits and a check digit
JOIN_ATTEMPTS = 5  # fresh numbers tried when a random one collides
HISTORY_PER_PAGE = 10

__all__ = ["CardError", "CardView", "Page", "configure", "settings"]


@dataclass(frozen=True)
class CardView:
    """One card as its holder sees it: shop, tier, the next tier and how far to it."""

    card: MemberCard
    shop: Shop
    program: CardProgram
    tier: Tier
    next_tier: Tier | None
    spend_cents: int  # qualifying spend so far
    to_next_cents: int | None  # spend still needed for the next tier (None: top tier)
    progress_percent: int  # 0..100 towards the next tier (100 at the top)


@dataclass(frozen=True)
class Page:
    """One page of a card's history, newest first."""

    entries: list[LedgerEntry]
    page: int  # 0-based
    pages: int
    total: int


# ------------------------------------------------------------------------------ numbers


def luhn_digit(digits: str) -> str:
    """The check digit that makes `digits + it` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def valid_number(number: str) -> bool:
    return (
        len(number) == NUMBER_DIGITS and number.isdigit() and luhn_digit(number[:-1]) == number[-1]
    )


def new_number() -> str:
    body = str(secrets.randbelow(9 * 10 ** (NUMBER_DIGITS - 2)) + 10 ** (NUMBER_DIGITS - 2))
    return body + luhn_digit(body)


def display_number(number: str) -> str:
    """`123 456 789`: easier to read out and type."""
    return " ".join(number[i : i + 3] for i in range(0, len(number), 3))


def parse_number(text: str) -> str | None:
    """A typed number (spaces, dashes, full-width digits allowed), or None if it is not one."""
    digits = "".join(ch for ch in ascii_digits(text) if ch.isdigit())
    return digits if valid_number(digits) else None


# ------------------------------------------------------------------------------ programs


async def program_of(shop_id: int) -> CardProgram | None:
    """The shop's active program with its tiers (rank order) fetched, or None."""
    program = await CardProgram.get_or_none(shop_id=shop_id, active=True)
    if program is not None:
        await program.fetch_related("tiers", "bonuses", "rewards")
    return program


async def needs_password(program: CardProgram) -> bool:
    """Whether members set a consumption password on joining: the card holds value, or points
    pay money or rewards."""
    if program.stored_value or program.points_per_currency_unit_off > 0:
        return True
    return await Reward.exists(program_id=program.id)


async def tiers_of(program_id: int) -> list[Tier]:
    return await Tier.filter(program_id=program_id).order_by("rank")


# ------------------------------------------------------------------------------ joining


async def join(
    shop_id: int,
    user_id: int,
    *,
    now: datetime,
    name: str | None = None,
    phone: str | None = None,
    birthday: date | None = None,
) -> MemberCard:
    """Give the person a card at the shop's entry tier; what the program needs (name, phone,
    birthday) comes from the arguments or the profile, and given values are saved to the
    profile. Records CustomerEvent.JOIN in the same transaction (a member is a customer)."""
    program = await program_of(shop_id)
    if program is None or not program.tiers:
        raise CardError("no_program")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise CardError("not_found")
    if await MemberCard.exists(shop_id=shop_id, user_id=user_id):
        raise CardError("already_member")
    name = name or user.name
    phone = phone or user.phone
    birthday = birthday or user.birthday
    for field, needed, value in (
        ("name", program.need_name, name),
        ("phone", program.need_phone, phone),
        ("birthday", program.need_birthday, birthday),
    ):
        if needed and not value:
            raise CardError("missing_field", field=field)
    entry = min(program.tiers, key=lambda t: t.rank)
    now = now.astimezone(UTC)
    for _ in range(JOIN_ATTEMPTS):
        try:
            async with in_transaction():
                card = await MemberCard.create(
                    shop_id=shop_id,
                    user_id=user_id,
                    number=new_number(),
                    tier_id=entry.id,
                    joined_at=now,
                    qualified_since=now,
                )
                changes = {
                    k: v
                    for k, v in (("name", name), ("phone", phone), ("birthday", birthday))
                    if v and getattr(user, k) != v
                }
                if changes:
                    await User.filter(id=user_id).update(**changes)
                await customers.record_event(shop_id, user_id, CustomerEvent.JOIN, at=now)
            return card
        except IntegrityError:
            if await MemberCard.exists(shop_id=shop_id, user_id=user_id):
                raise CardError("already_member") from None
    raise CardError("busy")


# ------------------------------------------------------------------------------ reading


async def card_of(shop_id: int, user_id: int) -> MemberCard | None:
    return await MemberCard.get_or_none(shop_id=shop_id, user_id=user_id).select_related("tier")


async def card_by_id(card_id: int) -> MemberCard | None:
    return await MemberCard.get_or_none(id=card_id).select_related("tier", "shop", "user")


async def view_of(card: MemberCard) -> CardView:
    """The holder's view of one card (tier progress by qualifying spend)."""
    program = await CardProgram.get(shop_id=card.shop_id)
    tiers = await tiers_of(program.id)
    shop = await Shop.get(id=card.shop_id)
    tier = next(t for t in tiers if t.id == card.tier_id)
    higher = [t for t in tiers if t.rank > tier.rank]
    next_tier = higher[0] if higher else None
    if next_tier is None:
        return CardView(card, shop, program, tier, None, card.spend_cents, None, 100)
    needed = max(0, next_tier.threshold_spend_cents - card.spend_cents)
    span = max(1, next_tier.threshold_spend_cents - tier.threshold_spend_cents)
    done = span - min(span, needed)
    percent = min(100, math.floor(done * 100 / span))
    return CardView(card, shop, program, tier, next_tier, card.spend_cents, needed, percent)


async def cards_of(user_id: int) -> list[CardView]:
    """Every card the person holds (oldest first); callers sort by distance if they can."""
    found = await MemberCard.filter(user_id=user_id).order_by("joined_at", "id")
    return [await view_of(card) for card in found]


async def find_for_counter(
    shop_id: int, text_or_token: str, *, now: datetime | None = None
) -> MemberCard:
    """The card staff typed (its number) or scanned (a card QR token, also as `card_<token>`).
    CardError not_found (no such card, or not a number nor a token), other_shop (a card of
    another shop), expired_qr / bad_qr (a stale or forged QR)."""
    text = text_or_token.strip()
    digits = "".join(ch for ch in ascii_digits(text) if ch not in " -")
    if digits.isdigit():
        number = parse_number(digits)
        if number is None:
            raise CardError("not_found")  # a mistyped number: its check digit says so
        card = await MemberCard.get_or_none(number=number).select_related("tier", "user")
    else:
        token = text.removeprefix("/start").strip().removeprefix("card_")
        card_id = await card_tokens.verify(token, now or clock.now())
        card = await MemberCard.get_or_none(id=card_id).select_related("tier", "user")
    if card is None:
        raise CardError("not_found")
    if card.shop_id != shop_id:
        raise CardError("other_shop")
    return card


async def history(card_id: int, *, page: int = 0, per_page: int = HISTORY_PER_PAGE) -> Page:
    """The card's ledger, newest first, one page (page numbers clamp to what exists)."""
    rows = LedgerEntry.filter(card_id=card_id)
    total = await rows.count()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(0, page), pages - 1)
    entries = (
        await rows.order_by("-id")
        .offset(page * per_page)
        .limit(per_page)
        .prefetch_related("purchase")
    )
    return Page(entries=list(entries), page=page, pages=pages, total=total)
