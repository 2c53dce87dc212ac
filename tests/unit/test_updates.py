"""The per-chat update processor on its own: each chat's updates in arrival order and never
two at once, different chats side by side, at most `max_running` handlers running, and a chat
with a long backlog holding one slot at most — fed the way PTB feeds it (one task per update,
started in arrival order)."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Hashable
from datetime import UTC, datetime

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from bot.updates import ADMIT_ALL, PerChatUpdateProcessor, chat_key


def message_from(chat_id: int, update_id: int) -> Update:
    """A private-chat text message (chat id == user id), as Telegram sends it."""
    person = User(chat_id, f"U{chat_id}", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    text = Message(update_id, datetime.now(UTC), chat, from_user=person, text=f"m{update_id}")
    return Update(update_id, message=text)


class Trace:
    """What ran when: starts and ends per chat, and how many ran at once (overall, per chat)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Hashable, int]] = []
        self.running = 0
        self.peak = 0
        self.per_key: dict[Hashable, int] = defaultdict(int)
        self.per_key_peak: dict[Hashable, int] = defaultdict(int)

    async def handle(self, key: Hashable, n: int, seconds: float) -> None:
        self.running += 1
        self.per_key[key] += 1
        self.peak = max(self.peak, self.running)
        self.per_key_peak[key] = max(self.per_key_peak[key], self.per_key[key])
        self.events.append(("start", key, n))
        await asyncio.sleep(seconds)
        self.events.append(("end", key, n))
        self.per_key[key] -= 1
        self.running -= 1

    def order(self, key: Hashable, kind: str = "start") -> list[int]:
        return [n for what, k, n in self.events if k == key and what == kind]

    def index(self, kind: str, key: Hashable, n: int) -> int:
        return self.events.index((kind, key, n))


async def feed(
    processor: PerChatUpdateProcessor, trace: Trace, script: list[tuple[int, float]]
) -> None:
    """Like PTB's update fetcher: one task per (chat, handler seconds), created in order."""
    async with processor:
        tasks = [
            asyncio.create_task(
                processor.process_update(
                    message_from(chat, n), trace.handle(("chat", chat), n, seconds)
                )
            )
            for n, (chat, seconds) in enumerate(script)
        ]
        await asyncio.gather(*tasks)


@pytest.mark.parametrize("seed", range(5))
async def test_each_chat_in_order_chats_side_by_side_within_the_bound(seed: int) -> None:
    rng = random.Random(seed)
    chats = [101, 102, 103, 104, 105, 106]
    script = [(rng.choice(chats), rng.uniform(0, 0.004)) for _ in range(120)]
    processor, trace = PerChatUpdateProcessor(3), Trace()

    await feed(processor, trace, script)

    for chat in chats:
        key = ("chat", chat)
        arrived = [n for n, (c, _) in enumerate(script) if c == chat]
        assert trace.order(key) == arrived  # started in arrival order...
        assert trace.order(key, "end") == arrived
        assert trace.per_key_peak[key] == 1  # ...each after the previous one ended
    assert trace.peak == 3  # chats really ran side by side, never more than the bound
    assert processor.running == 0 and not processor._queues


async def test_a_flooding_chat_holds_one_slot_and_does_not_hold_others_up() -> None:
    flooder, others = 7, [201, 202, 203, 204, 205, 206, 207, 208]
    script = [(flooder, 0.002)] * 40 + [(chat, 0.001) for chat in others]
    processor, trace = PerChatUpdateProcessor(2), Trace()

    await feed(processor, trace, script)

    assert trace.per_key_peak[("chat", flooder)] == 1  # its backlog waited outside the bound
    assert trace.order(("chat", flooder)) == list(range(40))
    last_flood = trace.index("start", ("chat", flooder), 39)
    for n, chat in enumerate(others, start=40):
        assert trace.index("end", ("chat", chat), n) < last_flood  # answered during the flood
    assert trace.peak == 2


async def test_an_update_cancelled_while_queued_leaves_its_chat_queue() -> None:
    processor, trace = PerChatUpdateProcessor(4), Trace()
    gate = asyncio.Event()

    async def first() -> None:
        await gate.wait()
        await trace.handle(("chat", 5), 0, 0)

    async with processor:
        running = asyncio.create_task(processor.process_update(message_from(5, 0), first()))
        queued = asyncio.create_task(
            processor.process_update(message_from(5, 1), trace.handle(("chat", 5), 1, 0))
        )
        last = asyncio.create_task(
            processor.process_update(message_from(5, 2), trace.handle(("chat", 5), 2, 0))
        )
        await asyncio.sleep(0)
        assert processor.backlog(("chat", 5)) == 3
        queued.cancel()
        gate.set()
        await asyncio.gather(running, last, queued, return_exceptions=True)
    assert trace.order(("chat", 5)) == [0, 2]
    assert processor.backlog(("chat", 5)) == 0


def test_updates_are_keyed_by_chat_else_by_user() -> None:
    assert chat_key(message_from(42, 1)) == ("chat", 42)
    ann = User(9, "Ann", is_bot=False)
    inline = CallbackQuery("q1", ann, chat_instance="ci", inline_message_id="im", data="x")
    assert chat_key(Update(2, callback_query=inline)) == ("user", 9)
    assert chat_key(object()) is None
    # PTB runs updates concurrently only when its own bound exceeds 1; ours is the real one.
    processor = PerChatUpdateProcessor(8)
    assert processor.max_concurrent_updates == ADMIT_ALL and processor.max_running == 8
    with pytest.raises(ValueError):
        PerChatUpdateProcessor(0)
