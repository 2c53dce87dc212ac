"""The ledger's rules on SQLite and PostgreSQL: earning by tier, discounts, upgrades, spends
approved with the password (and the lock), top-ups with bonus, idempotent keys, voids, manual
adjustments, points expiry, yearly re-qualification, suspicious activity; every scenario ends
with the ledger balanced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import (
    ClaimStatus,
    CouponClaim,
    Customer,
    LedgerEntry,
    LedgerKind,
    MemberCard,
    Purchase,
    SpendRequest,
    SpendStatus,
    Tier,
)
from bot.services import card_tokens, cards, coupons, ledger, passwords
from bot.services.cards import CardError
from bot.services.purchases import record_purchase as plain_purchase
from bot.services.staff import NotAllowed
from tests.cards_helpers import a_member, a_program, a_shop, fast_passwords
from tests.ledger_check import assert_ledger_balanced

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
OWNER, CLERK, ANN, BOB = 1, 2, 3, 4
PIN = "135790"


@pytest.fixture
async def shop(db: None) -> AsyncIterator[object]:
    fast_passwords()
    shop = await a_shop(OWNER, CLERK)
    await a_program(shop)
    yield shop
    await assert_ledger_balanced()


async def member(shop, user_id: int = ANN, pin: str | None = PIN) -> MemberCard:  # type: ignore[no-untyped-def]
    card = await a_member(shop, user_id, NOW)
    if pin:
        await passwords.set_password(card.id, pin)
    return await MemberCard.get(id=card.id)


async def test_join_makes_a_customer_but_not_a_visit(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    assert cards.valid_number(card.number)
    record = await Customer.get(shop_id=shop.id, user_id=ANN)
    assert record.joined_at == NOW and record.customer_since == NOW and record.visits == 0
    with pytest.raises(CardError) as again:
        await cards.join(shop.id, ANN, now=NOW)
    assert again.value.reason == "already_member"
    found = await cards.find_for_counter(shop.id, cards.display_number(card.number))
    assert found.id == card.id
    typo = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    with pytest.raises(CardError) as bad:
        await cards.find_for_counter(shop.id, typo)
    assert bad.value.reason == "not_found"


async def test_qr_token_is_short_signed_and_expires(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    token = await card_tokens.issue(card, NOW)
    assert len(token) <= 40 and token.replace("-", "").replace("_", "").isalnum()
    assert (await cards.find_for_counter(shop.id, f"card_{token}", now=NOW)).id == card.id
    with pytest.raises(CardError) as old:
        await cards.find_for_counter(shop.id, token, now=NOW + timedelta(minutes=5))
    assert old.value.reason == "expired_qr"
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(CardError) as bad:
        await card_tokens.verify(forged, NOW)
    assert bad.value.reason == "bad_qr"
    other = await a_shop(5, name="Other")
    with pytest.raises(CardError) as elsewhere:
        await cards.find_for_counter(other.id, token, now=NOW)
    assert elsewhere.value.reason == "other_shop"


async def test_earning_discount_and_upgrade_at_once(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    first = await ledger.record_purchase(shop.id, card, 12_345, CLERK, key="k1", now=NOW)
    assert (first.points_earned, first.discount_cents, first.upgraded_to) == (123, 0, None)
    big = await ledger.record_purchase(shop.id, ANN, 40_000, CLERK, key="k2", now=NOW)
    assert big.upgraded_to is not None and big.upgraded_to.name == "Silver"
    assert big.points_earned == 400  # earned at the tier the purchase started in
    assert big.card is not None and big.card.tier.name == "Silver"
    third = await ledger.record_purchase(shop.id, ANN, 10_000, CLERK, key="k3", now=NOW)
    assert (third.discount_cents, third.points_earned, third.due_cents) == (500, 190, 9_500)
    loaded = await MemberCard.get(id=card.id)
    assert loaded.points == 123 + 400 + 190 and loaded.spend_cents == 12_345 + 40_000 + 9_500
    record = await Customer.get(shop_id=shop.id, user_id=ANN)
    assert record.visits == 3 and record.spend_cents == 12_345 + 40_000 + 9_500


async def test_a_replayed_key_is_recorded_once(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    first = await ledger.record_purchase(shop.id, card, 5_000, CLERK, key="same", now=NOW)
    again = await ledger.record_purchase(shop.id, card, 5_000, CLERK, key="same", now=NOW)
    assert again.replayed and again.purchase.id == first.purchase.id
    assert await Purchase.all().count() == 1
    assert (await MemberCard.get(id=card.id)).points == 50
    top = await ledger.top_up(card.id, CLERK, 60_000, key="t", now=NOW)
    top_again = await ledger.top_up(card.id, CLERK, 60_000, key="t", now=NOW)
    assert top_again.replayed and (top_again.bonus_cents, top.bonus_cents) == (5_000, 5_000)
    assert (await MemberCard.get(id=card.id)).balance_cents == 65_000


async def test_plain_purchases_of_members_earn_too(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    await plain_purchase(shop.id, ANN, 2_000, CLERK, now=NOW)
    assert (await MemberCard.get(id=card.id)).points == 20


async def test_top_up_bonus_and_upgrade_by_top_up(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    small = await ledger.top_up(card.id, CLERK, 20_000, key="a", now=NOW)
    assert (small.bonus_cents, small.upgraded_to) == (0, None)
    big = await ledger.top_up(card.id, CLERK, 100_000, key="b", now=NOW)
    assert big.bonus_cents == 5_000 and big.upgraded_to is not None
    assert big.upgraded_to.name == "Silver" and big.card.balance_cents == 125_000


async def test_spend_needs_approval_with_the_password(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    await ledger.top_up(card.id, CLERK, 10_000, key="t", now=NOW)
    await ledger.adjust_points(card.id, OWNER, 1_000, "welcome gift", key="adj", now=NOW)
    request = await ledger.request_spend(
        card.id, CLERK, 8_000, points=500, value_cents=3_000, key="s1", now=NOW
    )
    assert (await MemberCard.get(id=card.id)).balance_cents == 10_000  # nothing moved yet
    with pytest.raises(CardError) as wrong:
        await ledger.approve_spend(request.id, ANN, "000000", now=NOW)
    assert (wrong.value.reason, wrong.value.details["left"]) == ("wrong_password", 4)
    with pytest.raises(CardError) as stranger:
        await ledger.approve_spend(request.id, BOB, PIN, now=NOW)
    assert stranger.value.reason == "not_found"
    done = await ledger.approve_spend(request.id, ANN, PIN, now=NOW)
    # ¥80: 500 points pay ¥5, stored value ¥30, ¥45 due; earning on ¥75 (all but points).
    assert (done.points_spent, done.value_spent_cents, done.due_cents) == (500, 3_000, 4_500)
    assert done.points_earned == 75
    loaded = await MemberCard.get(id=card.id)
    assert (loaded.points, loaded.balance_cents) == (1_000 - 500 + 75, 7_000)
    assert done.card is not None
    assert (done.card.points, done.card.balance_cents) == (loaded.points, loaded.balance_cents)
    again = await ledger.approve_spend(request.id, ANN, PIN, now=NOW)
    assert again.replayed and again.purchase.id == done.purchase.id
    assert (await status_of(request.id)) == SpendStatus.APPROVED


async def status_of(request_id: int) -> SpendStatus:
    return (await SpendRequest.get(id=request_id)).status


async def test_decline_expiry_and_rules(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    await ledger.top_up(card.id, CLERK, 10_000, key="t", now=NOW)
    declined = await ledger.request_spend(
        card.id, CLERK, 5_000, points=0, value_cents=1_000, key="d", now=NOW
    )
    await ledger.decline_spend(declined.id, ANN, now=NOW)
    with pytest.raises(CardError) as decided:
        await ledger.approve_spend(declined.id, ANN, PIN, now=NOW)
    assert decided.value.reason == "decided"
    late = await ledger.request_spend(
        card.id, CLERK, 5_000, points=0, value_cents=1_000, key="l", now=NOW
    )
    with pytest.raises(CardError) as expired:
        await ledger.approve_spend(late.id, ANN, PIN, now=NOW + timedelta(minutes=5))
    assert expired.value.reason == "expired"
    assert (await MemberCard.get(id=card.id)).balance_cents == 10_000
    for kwargs, reason in (
        ({"points": 0, "value_cents": 20_000}, "insufficient_balance"),
        ({"points": 10, "value_cents": 0}, "insufficient_points"),
        ({"points": 0, "value_cents": 0}, "nothing_to_spend"),
    ):
        with pytest.raises(CardError) as refused:
            await ledger.request_spend(card.id, CLERK, 5_000, key=f"r{reason}", now=NOW, **kwargs)
        assert refused.value.reason == reason


async def test_five_wrong_passwords_lock_for_fifteen_minutes(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    await ledger.top_up(card.id, CLERK, 10_000, key="t", now=NOW)
    request = await ledger.request_spend(
        card.id, CLERK, 5_000, points=0, value_cents=1_000, key="s", now=NOW
    )
    reasons = []
    for _ in range(6):
        with pytest.raises(CardError) as refused:
            await ledger.approve_spend(request.id, ANN, "111111", now=NOW)
        reasons.append(refused.value.reason)
    assert reasons == ["wrong_password"] * 4 + ["locked", "locked"]
    with pytest.raises(CardError) as still:
        await passwords.check_password(card.id, PIN, now=NOW + timedelta(minutes=14))
    assert still.value.reason == "locked"
    await passwords.check_password(card.id, PIN, now=NOW + timedelta(minutes=15))
    await passwords.change_password(card.id, PIN, "246802", now=NOW + timedelta(minutes=16))
    assert passwords.verify_password(
        "２４６８０２", (await MemberCard.get(id=card.id)).password_hash or ""
    )


async def test_password_reset_with_the_owners_approval(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    reset = await passwords.request_reset(card.id, now=NOW)
    with pytest.raises(NotAllowed):
        await passwords.approve_reset(reset.id, CLERK)
    await passwords.approve_reset(reset.id, OWNER)
    assert not await passwords.has_password(card.id)
    await passwords.set_password(card.id, "999000")
    assert await passwords.has_password(card.id)


async def test_void_purchase_reverses_points_value_and_coupon(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    await ledger.top_up(card.id, CLERK, 10_000, key="t", now=NOW)
    await ledger.adjust_points(card.id, OWNER, 1_000, "gift", key="g", now=NOW)
    coupon = await coupons.create_coupon(
        shop.id, kind=coupons.CouponKind.AMOUNT, value=500, title="¥5 off", valid_days=30
    )
    claim = await coupons.claim(coupon.id, ANN, now=NOW)
    request = await ledger.request_spend(
        card.id,
        CLERK,
        6_000,
        points=100,
        value_cents=2_000,
        key="s",
        now=NOW,
        coupon_claim_id=claim.id,
    )
    done = await ledger.approve_spend(request.id, ANN, PIN, now=NOW)
    assert done.discount_cents == 500 and done.due_cents == 6_000 - 500 - 100 - 2_000
    assert (await CouponClaim.get(id=claim.id)).status == ClaimStatus.REDEEMED
    with pytest.raises(NotAllowed):
        await ledger.void_purchase(done.purchase.id, CLERK, now=NOW)
    voided = await ledger.void_purchase(done.purchase.id, OWNER, now=NOW + timedelta(days=1))
    assert voided.coupon_restored
    loaded = await MemberCard.get(id=card.id)
    assert (loaded.points, loaded.balance_cents, loaded.spend_cents) == (1_000, 10_000, 0)
    assert (await CouponClaim.get(id=claim.id)).status == ClaimStatus.ACTIVE
    record = await Customer.get(shop_id=shop.id, user_id=ANN)
    assert (record.visits, record.spend_cents, record.bought_at) == (0, 0, None)
    with pytest.raises(CardError) as twice:
        await ledger.void_purchase(done.purchase.id, OWNER, now=NOW)
    assert twice.value.reason == "already_voided"
    late = await ledger.record_purchase(shop.id, card, 1_000, CLERK, key="late", now=NOW)
    with pytest.raises(CardError) as old:
        await ledger.void_purchase(late.purchase.id, OWNER, now=NOW + timedelta(days=8))
    assert old.value.reason == "too_old"


async def test_void_refused_when_earned_points_were_spent(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    bought = await ledger.record_purchase(shop.id, card, 50_000, CLERK, key="p", now=NOW)
    await ledger.adjust_points(card.id, OWNER, -400, "used at the fair", key="a", now=NOW)
    with pytest.raises(CardError) as refused:
        await ledger.void_purchase(bought.purchase.id, OWNER, now=NOW)
    assert refused.value.reason == "insufficient"
    assert (await Purchase.get(id=bought.purchase.id)).voided_at is None


async def test_void_top_up_takes_the_bonus_back(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    top = await ledger.top_up(card.id, CLERK, 50_000, key="t", now=NOW)
    await ledger.void_top_up(top.entry.id, OWNER, now=NOW)
    assert (await MemberCard.get(id=card.id)).balance_cents == 0
    with pytest.raises(CardError) as twice:
        await ledger.void_top_up(top.entry.id, OWNER, now=NOW)
    assert twice.value.reason == "already_voided"


async def test_points_expire_oldest_first(shop) -> None:  # type: ignore[no-untyped-def]
    program = await cards.program_of(shop.id)
    assert program is not None
    program.points_expiry_months = 12
    await program.save()
    card = await member(shop)
    await ledger.record_purchase(shop.id, card, 10_000, CLERK, key="old", now=NOW)
    later = NOW + timedelta(days=200)
    await ledger.record_purchase(shop.id, card, 5_000, CLERK, key="new", now=later)
    await ledger.adjust_points(card.id, OWNER, -30, "fix", key="fix", now=later)  # from the old
    soon = await ledger.expiring_soon(NOW + timedelta(days=360), timedelta(days=14))
    assert [(n.card_id, n.points) for n in soon] == [(card.id, 70)]
    assert await ledger.expire_points(NOW + timedelta(days=366)) == 70
    assert await ledger.expire_points(NOW + timedelta(days=366)) == 0
    assert (await MemberCard.get(id=card.id)).points == 50
    expired = await LedgerEntry.filter(card_id=card.id, kind=LedgerKind.EXPIRE).count()
    assert expired == 1


async def test_yearly_requalification_with_notice(shop) -> None:  # type: ignore[no-untyped-def]
    program = await cards.program_of(shop.id)
    assert program is not None
    program.requalify_yearly = True
    await program.save()
    card = await member(shop)
    await ledger.record_purchase(shop.id, card, 60_000, CLERK, key="p", now=NOW)
    assert (await MemberCard.get(id=card.id).select_related("tier")).tier.name == "Silver"
    keeper = await member(shop, BOB)
    await ledger.record_purchase(shop.id, keeper, 60_000, CLERK, key="q", now=NOW)
    await ledger.requalify(NOW + timedelta(days=200))  # nothing ends yet
    assert not await ledger.downgrades_ahead(NOW + timedelta(days=300), timedelta(days=30))
    year2 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    changes = await ledger.requalify(year2)
    assert changes == []  # both spent enough in their first year
    await ledger.record_purchase(shop.id, keeper, 60_000, CLERK, key="q2", now=year2)
    ahead = await ledger.downgrades_ahead(year2 + timedelta(days=340), timedelta(days=30))
    assert [(c.card_id, c.old_tier.name, c.new_tier.name) for c in ahead] == [
        (card.id, "Silver", "Member")
    ]
    assert not await ledger.downgrades_ahead(year2 + timedelta(days=341), timedelta(days=30))
    changes = await ledger.requalify(datetime(2027, 3, 1, 10, 0, tzinfo=UTC))
    assert [(c.card_id, c.new_tier.name) for c in changes] == [(card.id, "Member")]
    assert (await MemberCard.get(id=keeper.id).select_related("tier")).tier.name == "Silver"


async def test_suspicious_activity_alerts_once(shop) -> None:  # type: ignore[no-untyped-def]
    program = await cards.program_of(shop.id)
    assert program is not None
    program.daily_alert_limit = 3
    await program.save()
    card = await member(shop)
    alerts = []
    for i in range(5):
        await ledger.record_purchase(shop.id, card, 100, CLERK, key=f"p{i}", now=NOW)
        alerts.append(await ledger.suspicious(shop.id, card.id, CLERK, NOW))
    assert [a.subject if a else None for a in alerts] == [None, None, None, "card", None]


async def test_check_ledger_finds_a_tampered_card(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    await ledger.record_purchase(shop.id, card, 1_000, CLERK, key="p", now=NOW)
    assert await ledger.check_ledger() == []
    await MemberCard.filter(id=card.id).update(points=999)
    found = await ledger.check_ledger()
    assert {m.what for m in found} == {"points", "points_left"}
    await MemberCard.filter(id=card.id).update(points=10)  # put back for the fixture's check


async def test_clerk_limits_and_tiers_unchanged_for_others(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    with pytest.raises(NotAllowed):
        await ledger.adjust_points(card.id, CLERK, 10, "x", key="a", now=NOW)
    with pytest.raises(CardError) as own:
        await ledger.record_purchase(shop.id, CLERK, 100, CLERK, key="o", now=NOW)
    assert own.value.reason == "own_card"
    assert await Tier.all().count() == 3


async def test_a_replayed_purchase_with_a_coupon_is_the_first_one(shop) -> None:  # type: ignore[no-untyped-def]
    card = await member(shop)
    coupon = await coupons.create_coupon(
        shop.id, kind=coupons.CouponKind.PERCENT, value=10, title="10% off", valid_days=30
    )
    claim = await coupons.claim(coupon.id, ANN, now=NOW)
    first = await ledger.record_purchase(
        shop.id, card, 10_000, CLERK, key="c", now=NOW, coupon_claim_id=claim.id
    )
    again = await ledger.record_purchase(
        shop.id, card, 10_000, CLERK, key="c", now=NOW, coupon_claim_id=claim.id
    )
    assert first.discount_cents == 1_000 and first.points_earned == 90
    assert again.replayed and again.purchase.id == first.purchase.id
    other = await ledger.record_purchase(shop.id, card, 1_000, CLERK, key="d", now=NOW)
    with pytest.raises(CardError) as used:
        await ledger.record_purchase(
            shop.id, card, 10_000, CLERK, key="e", now=NOW, coupon_claim_id=claim.id
        )
    assert (
        used.value.reason == "coupon" and used.value.details["coupon_reason"] == "already_redeemed"
    )
    assert not other.replayed


async def test_points_exchanged_for_a_reward_with_approval(shop) -> None:  # type: ignore[no-untyped-def]
    from bot.models import CardProgram, Reward

    card = await member(shop)
    await ledger.adjust_points(card.id, OWNER, 800, "opening", key="a", now=NOW)
    program = await CardProgram.get(shop_id=shop.id)
    noodles = await Reward.create(program=program, name="Free noodles", points=500)
    request = await ledger.request_reward(card.id, CLERK, noodles.id, key="r", now=NOW)
    assert (await MemberCard.get(id=card.id)).points == 800  # nothing moved yet
    done = await ledger.approve_spend(request.id, ANN, PIN, now=NOW)
    assert (done.points_spent, done.points_earned, done.due_cents) == (500, 0, 0)
    assert (await MemberCard.get(id=card.id)).points == 300
    entry = await LedgerEntry.get(purchase_id=done.purchase.id)
    assert (entry.kind, entry.reason) == (LedgerKind.REDEEM_POINTS, "Free noodles")
    with pytest.raises(CardError) as short:
        await ledger.request_reward(card.id, CLERK, noodles.id, key="r2", now=NOW)
    assert short.value.reason == "insufficient_points"


async def test_a_password_is_needed_only_when_something_can_be_spent(shop) -> None:  # type: ignore[no-untyped-def]
    program = await cards.program_of(shop.id)
    assert program is not None and await cards.needs_password(program)
    program.stored_value, program.points_per_currency_unit_off = False, 0
    await program.save()
    assert not await cards.needs_password(program)
