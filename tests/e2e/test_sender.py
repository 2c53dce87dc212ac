"""The one sender: broadcasts through the outbox delivered exactly once, blocked users, flood
limits, restarts, quiet hours and the daily limit, replies that don't wait behind a broadcast —
plus the priority rate limiter on its own, with virtual time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot import clock
from bot.config import Config
from bot.models import Outbox, OutboxStatus, User
from bot.sender import (
    BULK,
    BulkSendCancelled,
    PriorityRateLimiter,
    edit_campaign_messages,
    notify,
    sender_of,
)
from bot.services import outbox
from tests.e2e.conftest import OPERATOR_ID
from tests.fakes.telegram import BotMessage, FakeTelegram

MERCHANT = 500
PAYLOAD = {
    "text": {"en": "🍜 <b>Half price noodles</b> today!", "zh_Hans": "🍜 <b>今日面条半价</b>！"},
    "buttons": [[{"text": {"en": "🎟 Claim", "zh_Hans": "🎟 领取"}, "callback_data": "cp:1"}]],
}


@pytest.fixture
async def tg(request: pytest.FixtureRequest) -> AsyncIterator[FakeTelegram]:
    """The fake Telegram; `indirect` parametrisation sets its limits (e.g. global_rate)."""
    async with FakeTelegram(**getattr(request, "param", {})) as fake:
        fake.user(OPERATOR_ID, first_name="Olga", language_code="en")
        yield fake


@pytest.fixture
def config(config: Config, request: pytest.FixtureRequest) -> Config:
    """The bot's config; `indirect` parametrisation tweaks the `broadcast:` settings."""
    return config.with_(broadcast=replace(config.broadcast, **getattr(request, "param", {})))


class MiddayClock(clock.Clock):
    """Real time flowing, shifted to start at noon in Shanghai: quiet hours never interfere
    with tests that are not about them, whenever the suite runs."""

    def __init__(self) -> None:
        real = datetime.now(UTC)
        self.offset = real.replace(hour=4, minute=0, second=0, microsecond=0) - real

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(autouse=True)
def midday() -> Iterator[None]:
    clock.install(MiddayClock())
    try:
        yield
    finally:
        clock.install(clock.Clock())


@pytest.fixture
def frozen(midday: None) -> Iterator[clock.FrozenClock]:
    """A stopped clock at 23:00 in Shanghai (the users' default zone); real time after."""
    stopped = clock.FrozenClock(shanghai(1, 23))
    clock.install(stopped)
    yield stopped


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


async def people(tg: FakeTelegram, ids: Sequence[int], *, zh: Sequence[int] = ()) -> None:
    """Users who have talked to the bot before (they have rows), some reading Chinese."""
    for i in ids:
        tg.user(i, first_name=f"P{i}", language_code="zh-hans" if i in zh else "en")
    await User.bulk_create(
        [User(id=i, first_name=f"P{i}", language="zh_Hans" if i in zh else "en") for i in ids]
    )


async def broadcast(
    campaign: str, ids: Sequence[int], payload: dict[str, Any] = PAYLOAD, **kwargs: Any
) -> None:
    kwargs.setdefault("not_before", clock.now())
    await outbox.enqueue(campaign, kwargs.pop("kind", "promo"), ids, payload, **kwargs)
    notify()


def inbox(tg: FakeTelegram, ids: Sequence[int]) -> dict[int, list[BotMessage]]:
    return {i: tg.chat_messages(i) for i in ids}


async def delivered(tg: FakeTelegram, ids: Sequence[int], each: int = 1, timeout: float = 15):  # noqa: ASYNC109
    """Wait until every chat holds `each` messages; then return them."""
    await tg.wait_for(lambda: all(len(tg.chat_messages(i)) >= each for i in ids), timeout)
    return inbox(tg, ids)


async def report(tg: FakeTelegram, campaign: str, bot: Any) -> BotMessage:
    """Have the merchant follow the campaign and wait for the final report."""
    sender = sender_of(bot.app)
    assert sender is not None
    before = len(tg.chat_messages(MERCHANT))
    sender.track(campaign, MERCHANT, "en")
    try:
        await tg.wait_for(lambda: len(tg.chat_messages(MERCHANT)) >= before + 2, 15)
    except AssertionError as exc:
        progress = await outbox.campaign_progress(campaign)
        raise AssertionError(f"{exc}\n{progress}\n{tg.transcript(MERCHANT)}") from None
    return tg.chat_messages(MERCHANT)[-1]


# ------------------------------------------------------------------------------- delivery


async def test_broadcast_reaches_everyone_exactly_once_and_can_be_edited(bot, tg) -> None:
    ids = list(range(1001, 1041))
    zh = ids[::2]
    await people(tg, [*ids, MERCHANT], zh=zh)
    photo = tg.photo_sizes(b"noodles")[-1]["file_id"]
    await broadcast("promo:1", ids, {**PAYLOAD, "photo": photo})

    final = await report(tg, "promo:1", bot)
    got = inbox(tg, ids)
    assert all(len(messages) == 1 for messages in got.values())
    assert got[zh[0]][0].caption == "🍜 今日面条半价！" and got[zh[0]][0].button_texts == ["🎟 领取"]
    assert got[1002][0].caption == "🍜 Half price noodles today!"
    assert got[1002][0].photo == b"noodles" and got[1002][0].callback_data == ["cp:1"]
    rows = await Outbox.filter(campaign="promo:1").order_by("user_id")
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert [r.chat_message_id for r in rows] == [got[r.user_id][0].message_id for r in rows]
    progress = tg.chat_messages(MERCHANT)[0]
    assert "40 / 40" in progress.text and "▓▓▓▓▓▓▓▓▓▓" in progress.text
    assert "Delivered to 40 of 40 people" in final.text and "blocked" not in final.text

    ended = {"en": "⌛ This deal has ended.", "zh_Hans": "⌛ 本次优惠已结束。"}
    assert await edit_campaign_messages(bot.app.bot, "promo:1", ended) == 40
    assert got[1002][0].caption == "⌛ This deal has ended." and not got[1002][0].buttons
    assert got[zh[0]][0].caption == "⌛ 本次优惠已结束。"
    assert sum(len(m.edits) for messages in got.values() for m in messages) == 40
    tg.assert_no_errors()


async def test_blocked_user_is_marked_unreachable_and_skipped_next_time(bot, tg) -> None:
    ids = [1, 2, 3, 4, 5]
    await people(tg, [*ids, MERCHANT])
    tg.block(3)
    await broadcast("promo:a", ids)
    final = await report(tg, "promo:a", bot)
    assert "Delivered to 4 of 5" in final.text and "1 has blocked the bot" in final.text
    assert (await Outbox.get(campaign="promo:a", user_id=3)).status == OutboxStatus.BLOCKED
    assert not (await User.get(id=3)).reachable

    await broadcast("promo:b", ids, {"text": "Second offer"})
    await delivered(tg, [1, 2, 4, 5], each=2)
    final = await report(tg, "promo:b", bot)
    assert "1 skipped" in final.text
    row = await Outbox.get(campaign="promo:b", user_id=3)
    assert (row.status, row.error) == (OutboxStatus.SKIPPED, "unreachable")
    assert len([p for p in tg.calls_to("sendMessage") if p["chat_id"] == 3]) == 1  # one try
    assert await edit_campaign_messages(bot.app.bot, "promo:b", "Offer over") == 4
    assert [m.text for m in tg.chat_messages(1)] == ["🍜 Half price noodles today!", "Offer over"]

    tg.unblock(3)  # they come back and write to the bot: reachable again
    back = tg.user(3, first_name="Cy", language_code="en")
    await back.send("/start")
    await back.reply()
    assert (await User.get(id=3)).reachable


@pytest.mark.parametrize("tg", [{"global_rate": 5}], indirect=True)
async def test_flood_limit_is_honoured_without_losing_anyone(bot, tg) -> None:
    ids = list(range(1, 21))
    await people(tg, [*ids, MERCHANT])
    await broadcast("promo:flood", ids)
    got = await delivered(tg, ids, timeout=30)
    assert "Delivered to 20 of 20" in (await report(tg, "promo:flood", bot)).text
    assert tg.throttle_count > 0  # Telegram (the fake) really pushed back
    assert all(len(messages) == 1 for messages in got.values())
    statuses = await Outbox.filter(campaign="promo:flood").values_list("status", flat=True)
    assert set(statuses) == {OutboxStatus.SENT}
    tg.assert_no_errors(ignore=(429,))


@pytest.mark.parametrize("config", [{"rate_per_second": 10}], indirect=True)
async def test_restart_mid_broadcast_resumes_without_duplicates(bot, tg) -> None:
    ids = list(range(1, 41))
    await people(tg, [*ids, MERCHANT])
    await broadcast("promo:restart", ids)
    await tg.wait_for(lambda: sum(len(tg.chat_messages(i)) for i in ids) >= 10)
    await bot.restart()
    assert sum(len(tg.chat_messages(i)) for i in ids) < 40  # really stopped mid-way
    got = await delivered(tg, ids, timeout=20)
    assert "Delivered to 40 of 40" in (await report(tg, "promo:restart", bot)).text
    assert all(len(messages) == 1 for messages in got.values())
    rows = await Outbox.filter(campaign="promo:restart").values_list("status", "error")
    assert set(rows) == {(OutboxStatus.SENT, None)}  # nothing lost as "interrupted"


async def test_quiet_hours_and_the_daily_limit(bot, tg, frozen: clock.FrozenClock) -> None:
    ids = [1, 2, 3]
    await people(tg, [*ids, MERCHANT])
    await broadcast("promo:night", ids)
    await broadcast("flash:night", ids, kind="flash", expires_at=shanghai(2, 1))
    assert "⏰ 3 will get it later" in (await report(tg, "promo:night", bot)).text
    assert "3 skipped" in (await report(tg, "flash:night", bot)).text
    assert not any(inbox(tg, ids).values())  # nobody woken at 23:00

    frozen.set(shanghai(2, 8))  # quiet hours are over
    notify()
    got = await delivered(tg, ids)
    assert [m.text for m in got[1]] == ["🍜 Half price noodles today!"]  # not the flash deal
    assert "Delivered to 3 of 3" in (await report(tg, "promo:night", bot)).text

    await User.filter(id=1).update(max_pushes_per_day=1)
    frozen.set(shanghai(2, 12))
    await broadcast("promo:noon", ids, {"text": "Lunch set ¥20"})
    await delivered(tg, [2, 3], each=2)
    assert "⏰ 1 will get it later" in (await report(tg, "promo:noon", bot)).text
    assert len(tg.chat_messages(1)) == 1  # one a day is all user 1 wants
    row = await Outbox.get(campaign="promo:noon", user_id=1)
    assert (row.error, row.not_before) == ("daily_cap", shanghai(3, 8))

    frozen.set(shanghai(3, 8))
    notify()
    assert [m.text for m in (await delivered(tg, [1], each=2))[1]][-1] == "Lunch set ¥20"


@pytest.mark.parametrize("config", [{"rate_per_second": 20}], indirect=True)
async def test_people_chatting_get_replies_ahead_of_a_broadcast(bot, tg) -> None:
    ids = list(range(1, 61))
    await people(tg, ids)
    chatty = tg.user(77, first_name="Chatty")
    await broadcast("promo:busy", ids)
    broadcast_seqs = lambda: sorted(m.seq for i in ids for m in tg.chat_messages(i))  # noqa: E731
    await tg.wait_for(lambda: len(broadcast_seqs()) >= 5)
    asked = await chatty.send("/start")
    answer = await chatty.reply(timeout=10)
    assert "Hello Chatty" in answer.text
    overtaken = [s for s in broadcast_seqs() if asked.seq < s < answer.seq]
    assert len(overtaken) <= 8, f"{len(overtaken)} broadcast messages went ahead of the reply"
    assert len(broadcast_seqs()) < len(ids)  # the broadcast was still running
    await delivered(tg, ids)


# ------------------------------------------------------------------ the limiter on its own


class VirtualTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)  # let tasks woken so far run at the current time
        self.now += seconds


def limiter(time: VirtualTime, **kwargs: Any) -> PriorityRateLimiter:
    return PriorityRateLimiter(clock=time, sleep=time.sleep, **kwargs)


async def call(
    rl: PriorityRateLimiter,
    log: list[tuple[str, float]],
    name: str,
    chat_id: int | None,
    bulk: bool = False,
    endpoint: str = "sendMessage",
) -> Any:
    async def callback() -> bool:
        log.append((name, round(rl._clock(), 3)))
        return True

    data = {} if chat_id is None else {"chat_id": chat_id}
    return await rl.process_request(callback, (), {}, endpoint, data, BULK if bulk else None)


async def test_limiter_serves_interactive_calls_before_queued_bulk_ones() -> None:
    time, log = VirtualTime(), []
    rl = limiter(time, rate=10, burst=1)
    bulk = [asyncio.create_task(call(rl, log, f"bulk{i}", 100 + i, bulk=True)) for i in range(4)]
    chat = [asyncio.create_task(call(rl, log, f"reply{i}", 200 + i)) for i in range(2)]
    await asyncio.gather(*bulk, *chat)
    assert log == [
        ("bulk0", 0.0),
        ("reply0", 0.1),
        ("reply1", 0.2),
        ("bulk1", 0.3),
        ("bulk2", 0.4),
        ("bulk3", 0.5),
    ]


async def test_limiter_paces_one_chat_and_lets_chatless_calls_pass() -> None:
    time, log = VirtualTime(), []
    rl = limiter(time, rate=100, burst=5, per_chat_rate=1, per_chat_burst=2)
    for i in range(4):
        await call(rl, log, f"m{i}", 7)
    await call(rl, log, "edit", 7, endpoint="editMessageText")  # not a new message
    await call(rl, log, "answer", None, endpoint="answerCallbackQuery")
    assert log == [("m0", 0.0), ("m1", 0.0), ("m2", 1.0), ("m3", 2.0), ("edit", 2.0),
                   ("answer", 2.0)]  # fmt: skip


async def test_limiter_retries_after_flood_wait() -> None:
    time, log = VirtualTime(), []
    rl = limiter(time, rate=100, max_retries=2)
    failures = iter([RetryAfter(3)])

    async def flaky() -> bool:
        log.append(("flaky", round(time(), 3)))
        if (exc := next(failures, None)) is not None:
            raise exc
        return True

    assert await rl.process_request(flaky, (), {}, "sendMessage", {"chat_id": 1}, None)
    await call(rl, log, "other", 2)
    assert log == [("flaky", 0.0), ("flaky", 3.1), ("other", 3.1)]

    async def always() -> bool:
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await rl.process_request(always, (), {}, "sendMessage", {"chat_id": 3}, None)


async def test_limiter_drops_queued_bulk_calls_when_closed() -> None:
    time, log = VirtualTime(), []
    rl = limiter(time, rate=10, burst=1)
    first = asyncio.create_task(call(rl, log, "bulk0", 1, bulk=True))
    queued = asyncio.create_task(call(rl, log, "bulk1", 2, bulk=True))
    await asyncio.sleep(0)
    rl.close_bulk()
    assert await first
    with pytest.raises(BulkSendCancelled):
        await queued
    await call(rl, log, "reply", 3)  # interactive calls go on
    assert [name for name, _ in log] == ["bulk0", "reply"]
