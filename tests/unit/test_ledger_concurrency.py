"""Concurrent spends against one stored value never overdraw it, and a key replayed at once is
recorded once, on SQLite and PostgreSQL (everything fired together with asyncio.gather; on
PostgreSQL the approvals run on a pool of connections and truly overlap)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.models import MemberCard, Purchase, Shop
from bot.services import ledger, passwords
from bot.services.cards import CardError
from tests.cards_helpers import a_member, a_program, a_shop, fast_passwords
from tests.ledger_check import assert_ledger_balanced

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
OWNER, CLERK, ANN = 1, 2, 3
PIN = "482915"


@pytest.fixture
async def card(db: None) -> AsyncIterator[MemberCard]:
    fast_passwords()
    shop = await a_shop(OWNER, CLERK)
    await a_program(shop)
    card = await a_member(shop, ANN, NOW)
    await passwords.set_password(card.id, PIN)
    await ledger.top_up(card.id, CLERK, 10_000, key="funds", now=NOW)
    yield card
    await assert_ledger_balanced()


def outcomes(results: list[object]) -> tuple[list[ledger.PurchaseResult], Counter[str]]:
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, CardError)
    ]
    assert not unexpected, unexpected
    refusals = Counter(r.reason for r in results if isinstance(r, CardError))
    return [r for r in results if isinstance(r, ledger.PurchaseResult)], refusals


async def test_twenty_approvals_against_one_balance(card: MemberCard) -> None:
    requests = [
        await ledger.request_spend(
            card.id, CLERK, 2_000, points=0, value_cents=1_000, key=f"s{i}", now=NOW
        )
        for i in range(20)
    ]  # each fits the balance alone: ¥100 holds ten of them
    results = await asyncio.gather(
        *(ledger.approve_spend(r.id, ANN, PIN, now=NOW) for r in requests),
        return_exceptions=True,
    )
    won, refusals = outcomes(results)
    assert len(won) == 10 and refusals == {"insufficient_balance": 10}
    assert (await MemberCard.get(id=card.id)).balance_cents == 0
    assert await Purchase.filter(card_id=card.id).count() == 10


async def test_one_approval_tapped_many_times_is_recorded_once(card: MemberCard) -> None:
    request = await ledger.request_spend(
        card.id, CLERK, 2_000, points=0, value_cents=1_500, key="once", now=NOW
    )
    results = await asyncio.gather(
        *(ledger.approve_spend(request.id, ANN, PIN, now=NOW) for _ in range(10)),
        return_exceptions=True,
    )
    won, refusals = outcomes(results)
    assert len({r.purchase.id for r in won}) == 1 and set(refusals) <= {"decided"}
    assert await Purchase.filter(card_id=card.id).count() == 1
    assert (await MemberCard.get(id=card.id)).balance_cents == 10_000 - 1_500


async def test_a_purchase_confirmed_at_once_many_times_is_recorded_once(card: MemberCard) -> None:
    shop = await Shop.get(id=card.shop_id)
    results = await asyncio.gather(
        *(
            ledger.record_purchase(shop.id, card, 3_000, CLERK, key="dbl", now=NOW)
            for _ in range(10)
        ),
        return_exceptions=True,
    )
    won, refusals = outcomes(results)
    assert len(won) == 10 and not refusals and len({r.purchase.id for r in won}) == 1
    assert sum(not r.replayed for r in won) == 1
    assert (await MemberCard.get(id=card.id)).points == 30
