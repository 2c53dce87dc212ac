"""Property: whatever sequence of purchases, spends (approved with the password), top-ups,
voids, manual adjustments and expiries happens to a card, its points and stored value equal
their ledger's sums, its unspent credits add up to its points, and nothing goes negative.
Refusals (not enough points, too old to void...) are part of the game; anything else fails.
On SQLite and PostgreSQL; each example plays on a new member of one shop."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import LedgerEntry, LedgerKind, MemberCard, Purchase, Shop
from bot.services import ledger, passwords
from bot.services.cards import CardError
from tests.cards_helpers import a_member, a_program, a_shop, fast_passwords
from tests.ledger_check import assert_ledger_balanced

START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
OWNER, CLERK = 1, 2
PIN = "112233"
_members = itertools.count(1000)

cents = st.integers(min_value=1, max_value=200_000)
moves = st.one_of(
    st.tuples(st.just("buy"), cents),
    st.tuples(st.just("spend"), cents, st.integers(0, 3_000), st.integers(0, 50_000)),
    st.tuples(st.just("top_up"), cents),
    st.tuples(st.just("void"), st.integers(0, 20)),
    st.tuples(st.just("void_top_up"), st.integers(0, 20)),
    st.tuples(st.just("adjust"), st.integers(-2_000, 2_000).filter(bool)),
    st.tuples(st.just("replay"), st.integers(0, 20)),
    st.tuples(st.just("wait"), st.integers(1, 90)),  # days; points expire after a month
)


@pytest.fixture
async def shop(db: None) -> AsyncIterator[Shop]:
    fast_passwords()
    shop = await a_shop(OWNER, CLERK)
    await a_program(shop, points_expiry_months=1, max_points_per_order=2_000)
    yield shop


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(moves, min_size=1, max_size=12))
async def test_balances_equal_their_ledger(shop: Shop, plan: list[tuple]) -> None:  # type: ignore[type-arg]
    card = await a_member(shop, next(_members), START)
    await passwords.set_password(card.id, PIN)
    now, keys = START, []
    for step, move in enumerate(plan):
        now += timedelta(days=move[1]) if move[0] == "wait" else timedelta(hours=5)
        key = f"{card.id}:{step}"
        try:
            await play(shop, card, move, key, keys, now)
        except CardError as refused:
            assert refused.reason in ALLOWED_REFUSALS, refused.reason
        if move[0] == "buy":
            keys.append(key)
        fresh = await MemberCard.get(id=card.id)
        assert fresh.points >= 0 and fresh.balance_cents >= 0
    await assert_ledger_balanced()


ALLOWED_REFUSALS = {
    "insufficient_points",
    "insufficient_balance",
    "insufficient",
    "too_much",
    "too_old",
    "already_voided",
    "nothing_to_spend",
    "max_points",
    "min_order",
}


async def play(
    shop: Shop, card: MemberCard, move: tuple, key: str, keys: list[str], now: datetime
) -> None:  # type: ignore[type-arg]
    kind = move[0]
    if kind == "buy":
        await ledger.record_purchase(shop.id, card, move[1], CLERK, key=key, now=now)
    elif kind == "spend":
        _, amount, points, value = move
        request = await ledger.request_spend(
            card.id, CLERK, amount, points=points, value_cents=value, key=key, now=now
        )
        await ledger.approve_spend(request.id, card.user_id, PIN, now=now)
    elif kind == "top_up":
        await ledger.top_up(card.id, CLERK, move[1], key=key, now=now)
    elif kind == "void":
        bought = await Purchase.filter(card_id=card.id).order_by("id").values_list("id", flat=True)
        if bought:
            await ledger.void_purchase(bought[move[1] % len(bought)], OWNER, now=now)
    elif kind == "void_top_up":
        tops = await LedgerEntry.filter(card_id=card.id, kind=LedgerKind.TOP_UP).values_list(
            "id", flat=True
        )
        if tops:
            await ledger.void_top_up(sorted(tops)[move[1] % len(tops)], OWNER, now=now)
    elif kind == "adjust":
        await ledger.adjust_points(card.id, OWNER, move[1], "property test", key=key, now=now)
    elif kind == "replay" and keys:
        before = await Purchase.filter(card_id=card.id).count()
        again = await ledger.record_purchase(
            shop.id, card, 1, CLERK, key=keys[move[1] % len(keys)], now=now
        )
        assert again.replayed and await Purchase.filter(card_id=card.id).count() == before
    elif kind == "wait":
        await ledger.expire_points(now)
