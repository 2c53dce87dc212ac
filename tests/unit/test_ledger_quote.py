"""The counter's previews show what the ledger then records: for random orders (tier by
top-up, points, stored value, a coupon, points and stored value chosen or not) the quote
(counter.quote_purchase → ledger.preview) equals the recorded purchase; for random top-ups the
bonus shown (counter.top_up_bonus → ledger.best_bonus) is the bonus given."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.models import TopUpBonus
from bot.services import counter, coupons, ledger, passwords
from tests.cards_helpers import a_member, a_program, a_shop, fast_passwords
from tests.ledger_check import assert_ledger_balanced

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
OWNER, CLERK, ANN = 1, 2, 3
PIN = "135790"


@pytest.fixture
async def shop(db: None) -> AsyncIterator[object]:
    fast_passwords()
    shop = await a_shop(OWNER, CLERK)
    program = await a_program(shop, min_order_cents=1_000, max_points_per_order=3_000)
    await TopUpBonus.create(program=program, min_cents=100_000, bonus_cents=15_000)
    yield shop
    await assert_ledger_balanced()


@pytest.mark.parametrize("seed", range(6))
async def test_the_quote_is_what_the_ledger_records(shop, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    card = await a_member(shop, ANN, NOW)
    await passwords.set_password(card.id, PIN)
    top_up = rng.choice([0, 20_000, 100_000, 250_000])  # 100_000 at once: Silver
    if top_up:
        await ledger.top_up(card.id, CLERK, top_up, key="t", now=NOW)
    await ledger.adjust_points(card.id, OWNER, rng.randint(1, 5_000), "gift", key="g", now=NOW)
    claim_id = None
    if rng.random() < 0.6:
        kind, value = rng.choice(
            [(coupons.CouponKind.PERCENT, 15), (coupons.CouponKind.AMOUNT, 700)]
        )
        coupon = await coupons.create_coupon(
            shop.id, kind=kind, value=value, title="off", valid_days=30
        )
        claim_id = (await coupons.claim(coupon.id, ANN, now=NOW)).id
    amount = rng.randint(500, 60_000)
    use_points, use_value = rng.random() < 0.6, rng.random() < 0.6
    quote = await counter.quote_purchase(
        card.id, amount, coupon_claim_id=claim_id, use_points=use_points, use_value=use_value
    )
    if quote.points or quote.value_cents:
        request = await ledger.request_spend(
            card.id,
            CLERK,
            amount,
            points=quote.points,
            value_cents=quote.value_cents,
            key="s",
            now=NOW,
            coupon_claim_id=claim_id,
        )
        done = await ledger.approve_spend(request.id, ANN, PIN, now=NOW)
    else:
        done = await ledger.record_purchase(
            shop.id, card, amount, CLERK, key="p", now=NOW, coupon_claim_id=claim_id
        )
    recorded = (
        done.discount_cents,
        done.points_spent,
        done.value_spent_cents,
        done.due_cents,
        done.points_earned,
    )
    shown = (
        quote.tier_discount_cents + quote.coupon_discount_cents,
        quote.points,
        quote.value_cents,
        quote.to_pay_cents,
        quote.points_earned,
    )
    assert recorded == shown
    assert (
        quote.to_pay_cents == amount - quote.discount_cents - quote.points_cents - quote.value_cents
    )


@pytest.mark.parametrize("seed", range(3))
async def test_the_bonus_shown_is_the_bonus_given(shop, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    card = await a_member(shop, ANN, NOW)
    for n, amount in enumerate([rng.randint(1, 200_000) for _ in range(4)] + [50_000, 100_000]):
        shown = await counter.top_up_bonus(shop.id, amount)
        given = await ledger.top_up(card.id, CLERK, amount, key=f"t{n}", now=NOW)
        assert shown == given.bonus_cents
        assert shown == (15_000 if amount >= 100_000 else 5_000 if amount >= 50_000 else 0)
