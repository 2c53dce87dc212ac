"""The outbox on the migrated schema, SQLite and PostgreSQL: enqueueing without duplicates,
leases, quiet hours, the daily limit on promotions, settling and progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Outbox, OutboxStatus, User
from bot.services import outbox
from bot.services.outbox import CampaignProgress, DeliveryPolicy, OutboxError

# 12:00 in Shanghai (UTC+8), where users live by default.
NOON = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)
TEXT = {"text": {"en": "Half price today", "zh_Hans": "今天半价"}}


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A May 2024 wall-clock time in Shanghai, as UTC."""
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


async def status_of(campaign: str, user_id: int) -> Outbox:
    return await Outbox.get(campaign=campaign, user_id=user_id)


# ---------------------------------------------------------------------------------- enqueue


async def test_enqueue_is_bulk_and_ignores_duplicates_and_strangers(db: None) -> None:
    assert await outbox.enqueue("p1", "promo", [1, 2, 3, 3, 404], TEXT, not_before=NOON) == 3
    assert await outbox.enqueue("p1", "promo", [2, 3, 4], TEXT, not_before=NOON) == 1
    assert await outbox.enqueue("p2", "promo", [1], TEXT, not_before=NOON) == 1
    assert await Outbox.filter(campaign="p1").count() == 4
    row = await status_of("p1", 4)
    assert row.status == OutboxStatus.PENDING and row.payload == TEXT and row.kind == "promo"
    many = list(range(1, 11)) * 120  # more than one insert chunk, all duplicates after 10
    assert await outbox.enqueue("p3", "promo", many, TEXT, not_before=NOON) == 10


async def test_enqueue_records_people_who_blocked_the_bot_as_skipped(db: None) -> None:
    await User.filter(id=2).update(reachable=False)
    await outbox.enqueue("p1", "promo", [1, 2], TEXT, not_before=NOON)
    blocked = await status_of("p1", 2)
    assert (blocked.status, blocked.error) == (OutboxStatus.SKIPPED, "unreachable")
    assert [r.user_id for r in await outbox.claim_due(NOON, 10)] == [1]


async def test_enqueue_refuses_nonsense(db: None) -> None:
    with pytest.raises(OutboxError) as err:
        await outbox.enqueue("", "promo", [1], TEXT, not_before=NOON)
    assert err.value.reason == "campaign"
    with pytest.raises(OutboxError) as err:
        await outbox.enqueue("c", "promo", [1], {}, not_before=NOON)
    assert err.value.reason == "empty_payload"


# ------------------------------------------------------------------------------ quiet hours


def user(start: str = "22:00", end: str = "08:00", tz: str = "Asia/Shanghai") -> User:
    def minutes(hhmm: str) -> int:
        h, m = hhmm.split(":")
        return int(h) * 60 + int(m)

    return User(id=1, timezone=tz, quiet_start=minutes(start), quiet_end=minutes(end))


def test_quiet_hours_across_midnight() -> None:
    night = user()
    assert outbox.next_allowed_time(night, shanghai(1, 21, 59)) == shanghai(1, 21, 59)
    assert outbox.next_allowed_time(night, shanghai(1, 22, 0)) == shanghai(2, 8, 0)
    assert outbox.next_allowed_time(night, shanghai(1, 23, 30)) == shanghai(2, 8, 0)
    assert outbox.next_allowed_time(night, shanghai(2, 3, 0)) == shanghai(2, 8, 0)
    assert outbox.next_allowed_time(night, shanghai(2, 8, 0)) == shanghai(2, 8, 0)


def test_quiet_hours_within_a_day_other_timezones_and_none() -> None:
    siesta = user("13:00", "15:00")
    assert outbox.next_allowed_time(siesta, shanghai(1, 14, 0)) == shanghai(1, 15, 0)
    assert outbox.next_allowed_time(siesta, shanghai(1, 16, 0)) == shanghai(1, 16, 0)
    london = user(tz="Europe/London")  # BST, UTC+1 in May
    at = datetime(2024, 5, 1, 22, 0, tzinfo=UTC)  # 23:00 in London, 06:00 in Shanghai
    assert outbox.next_allowed_time(london, at) == datetime(2024, 5, 2, 7, 0, tzinfo=UTC)
    assert outbox.next_allowed_time(user("00:00", "00:00"), at) == at


async def test_claim_defers_to_the_end_of_quiet_hours(db: None) -> None:
    late = shanghai(1, 23, 0)
    await outbox.enqueue("p1", "promo", [1], TEXT, not_before=late)
    assert await outbox.claim_due(late, 10) == []
    row = await status_of("p1", 1)
    assert row.status == OutboxStatus.PENDING and row.error == "quiet_hours"
    assert row.not_before == shanghai(2, 8, 0) and row.lease_until is None
    assert await outbox.next_due() == shanghai(2, 8, 0)
    assert await outbox.campaign_progress("p1") == CampaignProgress(total=1, pending=1, deferred=1)
    assert await outbox.claim_due(shanghai(2, 7, 59), 10) == []
    assert [r.user_id for r in await outbox.claim_due(shanghai(2, 8, 0), 10)] == [1]


async def test_flash_deal_ending_during_quiet_hours_is_skipped(db: None) -> None:
    late = shanghai(1, 23, 0)
    await outbox.enqueue("f1", "flash", [1], TEXT, not_before=late, expires_at=shanghai(2, 1))
    await outbox.enqueue("f2", "flash", [1], TEXT, not_before=late, expires_at=shanghai(2, 9))
    assert await outbox.claim_due(late, 10) == []
    skipped, deferred = await status_of("f1", 1), await status_of("f2", 1)
    assert (skipped.status, skipped.error) == (OutboxStatus.SKIPPED, "quiet_hours")
    assert (deferred.status, deferred.not_before) == (OutboxStatus.PENDING, shanghai(2, 8))


async def test_expired_rows_are_skipped(db: None) -> None:
    await outbox.enqueue("f1", "flash", [1], TEXT, not_before=NOON, expires_at=NOON)
    assert await outbox.claim_due(NOON, 10) == []
    assert (await status_of("f1", 1)).error == "expired"


# ------------------------------------------------------------------------------ daily limit


async def send_now(campaign: str, user_id: int, at: datetime, kind: str = "promo") -> None:
    await outbox.enqueue(campaign, kind, [user_id], TEXT, not_before=at)
    [row] = await outbox.claim_due(at, 10)
    await outbox.mark_sent(row.id, 1, at)


async def test_daily_cap_counts_sent_promotions_of_the_local_day(db: None) -> None:
    policy = DeliveryPolicy(default_daily_cap=2)
    await send_now("yesterday", 1, shanghai(1, 21))  # another local day: not counted
    await send_now("r1", 1, shanghai(2, 8, 30), kind="reminder")  # not promotional
    await send_now("p1", 1, shanghai(2, 9))
    await outbox.enqueue("p2", "promo", [1], TEXT, not_before=shanghai(2, 10))
    await outbox.enqueue("p3", "flash", [1], TEXT, not_before=shanghai(2, 10))
    await outbox.enqueue("p4", "promo", [1], TEXT, not_before=shanghai(2, 10))
    claimed = await outbox.claim_due(shanghai(2, 10), 10, policy)
    assert [r.campaign for r in claimed] == ["p2"]  # the second of the day; p3, p4 over it
    for campaign in ("p3", "p4"):
        row = await status_of(campaign, 1)
        assert (row.error, row.not_before) == ("daily_cap", shanghai(3, 8))  # tomorrow morning
    # still in flight (leased, not yet sent) counts too
    await outbox.enqueue("p5", "promo", [1], TEXT, not_before=shanghai(2, 10))
    assert await outbox.claim_due(shanghai(2, 10), 10, policy) == []
    assert (await status_of("p5", 1)).error == "daily_cap"


async def test_personal_cap_and_flash_that_would_expire(db: None) -> None:
    await User.filter(id=1).update(max_pushes_per_day=1)
    await User.filter(id=2).update(max_pushes_per_day=0)  # wants no promotions at all
    await send_now("p1", 1, shanghai(2, 9))
    await outbox.enqueue(
        "f1", "flash", [1, 2], TEXT, not_before=shanghai(2, 10), expires_at=shanghai(2, 18)
    )
    assert await outbox.claim_due(shanghai(2, 10), 10) == []
    for user_id in (1, 2):
        row = await status_of("f1", user_id)
        assert (row.status, row.error) == (OutboxStatus.SKIPPED, "daily_cap")


# ---------------------------------------------------------------------- leases and settling


async def test_claims_lease_rows_so_nobody_gets_them_twice(db: None) -> None:
    await outbox.enqueue("p1", "promo", range(1, 6), TEXT, not_before=NOON)
    await outbox.enqueue("later", "promo", [1], TEXT, not_before=NOON + timedelta(hours=1))
    first = await outbox.claim_due(NOON, 3)
    second = await outbox.claim_due(NOON, 10)
    assert [r.user_id for r in first] == [1, 2, 3] and [r.user_id for r in second] == [4, 5]
    assert first[0].user.first_name == "user1"  # loaded for rendering
    assert await outbox.claim_due(NOON, 10) == []
    assert await outbox.next_due() == NOON + timedelta(hours=1)
    await outbox.release([r.id for r in second])
    assert [r.user_id for r in await outbox.claim_due(NOON, 10)] == [4, 5]


async def test_settling_rows_and_progress(db: None) -> None:
    await outbox.enqueue("p1", "promo", range(1, 7), TEXT, not_before=NOON)
    rows = {r.user_id: r for r in await outbox.claim_due(NOON, 10)}
    await outbox.mark_sent(rows[1].id, 77, NOON)
    await outbox.mark_blocked(rows[2].id)
    await outbox.mark_failed(rows[3].id, "Bad Request: chat not found")
    await outbox.mark_retry(rows[4].id, NOON + timedelta(seconds=2), "network: reset")
    progress = await outbox.campaign_progress("p1")
    assert progress == CampaignProgress(total=6, sent=1, blocked=1, failed=1, pending=3)
    assert not progress.done
    sent = await status_of("p1", 1)
    assert (sent.chat_message_id, sent.sent_at, sent.lease_until) == (77, NOON, None)
    assert not (await User.get(id=2)).reachable
    retry = await status_of("p1", 4)
    assert (retry.attempts, retry.error) == (1, "network: reset")
    assert [r.user_id for r in await outbox.claim_due(NOON + timedelta(seconds=2), 10)] == [4]
    assert [r.user_id for r in await outbox.delivered("p1")] == [1]
    # the blocked user is skipped by the next campaign; talking to the bot again restores them
    await outbox.enqueue("p2", "promo", [2], TEXT, not_before=NOON)
    assert (await status_of("p2", 2)).status == OutboxStatus.SKIPPED
    assert await outbox.mark_reachable(2) and (await User.get(id=2)).reachable


async def test_rows_leased_by_a_crashed_process_are_never_sent_again(db: None) -> None:
    policy = DeliveryPolicy(lease=timedelta(minutes=5))
    await outbox.enqueue("p1", "promo", [1, 2], TEXT, not_before=NOON)
    await outbox.claim_due(NOON, 1, policy)  # ... and the process dies
    assert await outbox.reap_expired(NOON + timedelta(minutes=4)) == 0
    after = NOON + timedelta(minutes=6)
    assert [r.user_id for r in await outbox.claim_due(after, 10, policy)] == [2]
    assert await outbox.reap_expired(after) == 1
    lost = await status_of("p1", 1)
    assert (lost.status, lost.error) == (OutboxStatus.FAILED, "interrupted")
    assert await outbox.claim_due(after, 10, policy) == []


def test_localized_payload_text() -> None:
    assert outbox.localized("hi", "zh_Hans") == "hi"
    assert outbox.localized({"en": "hi", "zh_Hans": "你好"}, "zh_Hans") == "你好"
    assert outbox.localized({"en": "hi"}, "zh_Hans") == "hi"
    assert outbox.localized(None, "en") == ""
