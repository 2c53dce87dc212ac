"""The card jobs of scheduler/cards.py: points expiry with its reminder ahead, the yearly
re-qualification with its notice ahead of a downgrade; each message queued once however often
the sweep runs, in every language, and the ledger balanced after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import MemberCard, Outbox, Shop
from bot.services import cards, ledger
from scheduler import JOBS
from scheduler import cards as card_jobs
from tests.cards_helpers import a_member, a_program, a_shop, fast_passwords
from tests.ledger_check import assert_ledger_balanced
from tests.unit.test_timed_jobs import Recorder

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
OWNER, CLERK, ANN = 1, 2, 3


@pytest.fixture
async def shop(db: None) -> AsyncIterator[Shop]:
    fast_passwords()
    shop = await a_shop(OWNER, CLERK)
    await a_program(shop, points_expiry_months=6, requalify_yearly=True)
    yield shop
    await assert_ledger_balanced()


def test_the_jobs_are_registered() -> None:
    names = {job.name for job in JOBS}
    assert {"card-points-expiry", "card-requalify"} <= names


async def test_points_reminded_once_then_expired(shop: Shop) -> None:
    card = await a_member(shop, ANN, NOW)
    await ledger.record_purchase(shop.id, card, 12_000, CLERK, key="p", now=NOW)
    recorder = Recorder()
    assert await card_jobs.expire_and_remind(recorder.views, NOW + timedelta(days=100)) == 0
    reminders = Outbox.filter(campaign__startswith="pts-exp:")
    assert await reminders.count() == 0  # not within 14 days yet
    soon = NOW + timedelta(days=170)
    for _ in range(2):
        await card_jobs.expire_and_remind(recorder.views, soon)
    rows = await reminders
    assert len(rows) == 1 and rows[0].kind == "card" and rows[0].user_id == ANN
    assert "120" in rows[0].payload["text"]["en"] and "积分" in rows[0].payload["text"]["zh_Hans"]
    assert recorder.wakes == 1
    assert await card_jobs.expire_and_remind(recorder.views, NOW + timedelta(days=185)) == 120
    assert (await MemberCard.get(id=card.id)).points == 0


async def test_downgrade_notice_then_new_year(shop: Shop) -> None:
    card = await a_member(shop, ANN, NOW)
    await ledger.record_purchase(shop.id, card, 60_000, CLERK, key="p", now=NOW)
    recorder = Recorder()
    year = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert await card_jobs.requalify_and_notify(recorder.views, year) == 0  # kept Silver
    before_end = year + timedelta(days=340)
    for _ in range(2):
        await card_jobs.requalify_and_notify(recorder.views, before_end)
    notices = await Outbox.filter(campaign__startswith="tier-down:")
    assert len(notices) == 1 and "Silver" in notices[0].payload["text"]["en"]
    assert await card_jobs.requalify_and_notify(recorder.views, year + timedelta(days=366)) == 1
    assert await Outbox.filter(campaign__startswith="tier-new:").count() == 1
    view = (await cards.cards_of(ANN))[0]
    assert view.tier.name == "Member" and view.next_tier is not None
    assert view.to_next_cents == 50_000 and view.progress_percent == 0
