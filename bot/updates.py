"""Updates of different chats are handled side by side; each chat's updates strictly in order.

python-telegram-bot offers two shapes: one update after another (a reply waiting for its chat's
sending allowance stalls everybody) or any updates at once (a chat's second message may
overtake its first, which breaks ConversationHandler). `PerChatUpdateProcessor` keeps a queue
per chat (per user when an update has no chat): a chat's next update starts only when its
previous one has finished, and only that update competes for one of `max_running` slots.

PTB's own semaphore, taken before `do_process_update`, would count a chat's queued backlog as
running — 200 messages from one person would fill any bound and block everyone again — so it
is made effectively unbounded here and the bound is applied to running updates only.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.config import UpdateSettings

#: What PTB's own semaphore admits: every update; queued ones wait in their chat's queue.
ADMIT_ALL = sys.maxsize

UpdateKey = Callable[[object], Hashable | None]


def chat_key(update: object) -> Hashable | None:
    """The ordering key: the chat, else the user (a button on an inline message), else none."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Per-chat order, cross-chat concurrency, at most `max_running` handlers running at once.

    A chat occupies at most one running slot however long its backlog; slots are granted
    first come, first served. Updates without a key (none are expected) run unordered within
    the bound.
    """

    __slots__ = ("_key", "_max_running", "_queues", "_running", "_slots")

    def __init__(self, max_running: int, *, key: UpdateKey = chat_key) -> None:
        super().__init__(ADMIT_ALL)
        if max_running < 1:
            raise ValueError("max_running must be at least 1")
        self._max_running = max_running
        self._key = key
        self._queues: dict[Hashable, deque[asyncio.Future[None]]] = {}
        self._slots = asyncio.Semaphore(max_running)
        self._running = 0

    @property
    def max_running(self) -> int:
        return self._max_running

    @property
    def running(self) -> int:
        """Handlers running now (not counting updates waiting for their chat's turn)."""
        return self._running

    def backlog(self, key: Hashable) -> int:
        """Updates of one chat received and not yet finished (the running one included)."""
        return len(self._queues.get(key, ()))

    async def initialize(self) -> None:
        self._queues.clear()
        self._slots = asyncio.Semaphore(self._max_running)
        self._running = 0

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for pending updates before shutting down."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        # Join the chat's queue before the first await: PTB starts update tasks in the order
        # it received the updates, so queue order is arrival order.
        turn = self._join(key) if key is not None else None
        started = False
        try:
            if turn is not None:
                await turn
            async with self._slots:
                self._running += 1
                started = True
                try:
                    await coroutine
                finally:
                    self._running -= 1
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while queued: never ran, must not warn
            if turn is not None:
                self._leave(key, turn)

    def _join(self, key: Hashable) -> asyncio.Future[None]:
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(key, deque())
        queue.append(turn)
        if len(queue) == 1:
            turn.set_result(None)
        return turn

    def _leave(self, key: Hashable, turn: asyncio.Future[None]) -> None:
        queue = self._queues[key]
        if queue[0] is turn:
            queue.popleft()
            if queue and not queue[0].done():  # a cancelled next one leaves by itself
                queue[0].set_result(None)
        else:
            queue.remove(turn)  # cancelled while waiting for its turn
        if not queue:
            del self._queues[key]


def update_processor(settings: UpdateSettings) -> BaseUpdateProcessor | bool:
    """What `ApplicationBuilder.concurrent_updates` gets: per-chat ordering, or PTB's one at a
    time when `sequential` (kept to measure the difference)."""
    return False if settings.sequential else PerChatUpdateProcessor(settings.max_running)
