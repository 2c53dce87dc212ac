"""The outbox row's states across crashes, on SQLite and PostgreSQL:

    PENDING ──claim──▶ PENDING+leased (in flight) ──Telegram accepted──▶ SENT
       ▲                  │  │  └──403──▶ BLOCKED   └──400 / unconfirmed──▶ FAILED
       └──release/retry───┘  └──process died: settled at start──▶ FAILED "interrupted"

A leased row is never claimed again; rows not leased are never settled as interrupted; a late
confirmation of an interrupted row still records it as SENT (it did arrive)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import OutboxStatus
from bot.services import outbox
from bot.services.outbox import INTERRUPTED, CampaignProgress
from tests.unit.test_outbox import status_of

NOON = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, users' default zone
NIGHT = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)  # 23:00 there: quiet hours
TEXT = {"text": "Half price today"}




async def state(campaign: str, user_id: int) -> tuple[str, str | None, bool]:
    """(status, error, leased) of one row."""
    found = await status_of(campaign, user_id)
    return str(found.status), found.error, found.lease_until is not None


async def test_claimed_then_sent_row_by_row(db: None) -> None:
    await outbox.enqueue("p", "promo", [1, 2, 3], TEXT, not_before=NOON)
    claimed = {r.user_id: r for r in await outbox.claim_due(NOON, 10)}
    assert [await state("p", u) for u in (1, 2, 3)] == [("pending", None, True)] * 3
    await outbox.mark_sent(claimed[1].id, 71, NOON)  # Telegram accepted the first one
    sent = await status_of("p", 1)
    assert (sent.status, sent.chat_message_id, sent.sent_at, sent.lease_until) == (
        OutboxStatus.SENT,
        71,
        NOON,
        None,
    )
    assert await state("p", 2) == ("pending", None, True)  # still in flight
    assert await outbox.claim_due(NOON, 10) == []  # in flight: never claimed twice
    assert await outbox.campaign_progress("p") == CampaignProgress(total=3, sent=1, pending=2)


async def test_rows_in_flight_at_a_crash_are_settled_at_start_and_never_resent(db: None) -> None:
    await outbox.enqueue("night", "promo", [7], TEXT, not_before=NIGHT)
    await outbox.claim_due(NIGHT, 10)  # user 7 deferred to the morning: pending, not leased
    await outbox.enqueue("p", "promo", range(1, 7), TEXT, not_before=NOON)
    first = {r.user_id: r for r in await outbox.claim_due(NOON, 4)}  # 1-4 in flight
    await outbox.mark_sent(first[1].id, 11, NOON)
    await outbox.mark_blocked(first[2].id)
    # ... and the process is killed: 3 and 4 were in flight, 5 and 6 never claimed.
    assert await outbox.settle_interrupted() == 2
    assert [await state("p", u) for u in range(1, 7)] == [
        ("sent", None, False),
        ("blocked", "blocked", False),
        ("failed", INTERRUPTED, False),
        ("failed", INTERRUPTED, False),
        ("pending", None, False),
        ("pending", None, False),
    ]
    assert await state("night", 7) == ("pending", "quiet_hours", False)  # untouched
    assert [r.user_id for r in await outbox.claim_due(NOON, 10)] == [5, 6]  # only the unsent
    assert await outbox.settle_interrupted() == 2  # 5 and 6, claimed just now
    progress = await outbox.campaign_progress("p")
    assert progress == CampaignProgress(total=6, sent=1, blocked=1, interrupted=4)
    assert progress.done  # the report need not wait for any lease to run out
    assert await outbox.settle_interrupted() == 0  # idempotent


async def test_a_late_confirmation_of_an_interrupted_row_records_it_sent(db: None) -> None:
    await outbox.enqueue("p", "promo", [1], TEXT, not_before=NOON)
    [claimed] = await outbox.claim_due(NOON, 10)
    await outbox.reap_expired(NOON + timedelta(minutes=10))  # the send hung past its lease
    assert await state("p", 1) == ("failed", INTERRUPTED, False)
    await outbox.mark_sent(claimed.id, 5, NOON + timedelta(minutes=11))  # ... and arrived
    assert await state("p", 1) == ("sent", None, False)
    assert await outbox.claim_due(NOON + timedelta(hours=1), 10) == []


async def test_released_and_retried_rows_go_back_to_pending_unleased(db: None) -> None:
    await outbox.enqueue("p", "promo", [1, 2, 3], TEXT, not_before=NOON)
    claimed = {r.user_id: r for r in await outbox.claim_due(NOON, 10)}
    await outbox.release([claimed[1].id])  # graceful stop: never attempted
    later = NOON + timedelta(seconds=4)
    await outbox.mark_retry(claimed[2].id, later, "network: connect failed")
    await outbox.mark_failed(claimed[3].id, "Bad Request: chat not found")
    assert await state("p", 1) == ("pending", None, False)
    assert await state("p", 2) == ("pending", "network: connect failed", False)
    assert (await status_of("p", 2)).attempts == 1
    assert await state("p", 3) == ("failed", "Bad Request: chat not found", False)
    assert await outbox.settle_interrupted() == 0  # nothing was left in flight
    assert [r.user_id for r in await outbox.claim_due(NOON, 10)] == [1]
    assert [r.user_id for r in await outbox.claim_due(later, 10)] == [2]
    await outbox.mark_failed(claimed[2].id, "later")
    await outbox.release([claimed[2].id])  # a settled row is not handed back
    assert await state("p", 2) == ("failed", "later", False)
    progress = await outbox.campaign_progress("p")
    assert progress == CampaignProgress(total=3, failed=2, pending=1)


async def test_a_claim_interrupted_half_way_leases_nothing(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lease and the gate's verdicts (deferrals, skips) commit together: a failure between
    them must not leave rows leased, which the next start would count as in flight."""
    await outbox.enqueue("p", "promo", [1, 2], TEXT, not_before=NOON)

    async def broken(*args: object) -> None:
        raise ConnectionError("database went away")

    monkeypatch.setattr(outbox, "_promotions_today", broken)
    with pytest.raises(ConnectionError):
        await outbox.claim_due(NOON, 10)
    monkeypatch.undo()
    assert [await state("p", u) for u in (1, 2)] == [("pending", None, False)] * 2
    assert await outbox.settle_interrupted() == 0
    assert [r.user_id for r in await outbox.claim_due(NOON, 10)] == [1, 2]
