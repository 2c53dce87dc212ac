"""The Telegram edge of every broadcast: the priority rate limiter all calls go through, the
worker draining the outbox (bot.services.outbox), live progress for the merchant, and edits of
messages already delivered (flash deals that ended).

Replies to people chatting with the bot never queue behind a broadcast: the limiter hands the
shared budget (~30 messages/s per bot) to interactive calls first; the worker marks its calls
`rate_limit_args=BULK`, which only take a token when no interactive call is waiting.

Enqueue callers wake the worker with `notify()` after `outbox.enqueue(...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, BaseRateLimiter

from bot import clock
from bot.config import BroadcastSettings
from bot.i18n import t
from bot.models import Outbox
from bot.services import outbox
from bot.services.outbox import (
    CampaignProgress,
    DeliveryPolicy,
    WeeklyCap,
    localized,
    weekly_cap_of,
)
from bot.services.templates import recipient_name, render_text
from bot.ui.text import CAPTION_MAX, fit_html

log = logging.getLogger(__name__)

#: `rate_limit_args` of a broadcast call: it waits while anyone chatting with the bot waits.
BULK: dict[str, Any] = {"bulk": True}
#: Longest idle wait between outbox checks (work enqueued by another process has no notify).
IDLE_RECHECK_SECONDS = 30.0
REAP_EVERY_SECONDS = 60.0
#: After a failed start-up settlement (database not reachable yet), try again this soon.
RETRY_SECONDS = 5.0
PROGRESS_CHECK_SECONDS = 1.0
EDIT_CONCURRENCY = 50

Callback = Callable[..., Coroutine[Any, Any, Any]]
Sleep = Callable[[float], Awaitable[None]]


# ------------------------------------------------------------------------------ rate limiter


class BulkSendCancelled(Exception):
    """A queued broadcast call dropped before it reached Telegram (the worker is stopping)."""


class _Bucket:
    """Token bucket: `rate` tokens per second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, max(float(burst), 1.0), clock
        self.tokens, self.stamp = self.burst, clock()

    def wait_time(self) -> float:
        """Seconds until a token is available (0: now)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        # A hair of tolerance: float rounding must not turn "now" into an endless tiny wait.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1

    def full(self) -> bool:
        return self.wait_time() == 0 and self.tokens >= self.burst


class _ChatPacing:
    """One chat's allowance: its bucket, a FIFO lock (its messages leave one at a time, in
    order, and only they wait for it) and the moment Telegram lets it be written to again."""

    __slots__ = ("bucket", "lock", "paused_until")

    def __init__(self, bucket: _Bucket) -> None:
        self.bucket, self.lock, self.paused_until = bucket, asyncio.Lock(), 0.0

    def idle(self, now: float) -> bool:
        return not self.lock.locked() and self.bucket.full() and self.paused_until <= now


class PriorityRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """One global token bucket shared by every call that targets a chat, interactive calls
    served first; per-chat pacing for messages into one chat, where a message waiting for its
    chat's allowance holds up only that chat; RetryAfter honoured and retried (bounded).

    A 429 pauses only the chat it came from, for its retry_after: one busy chat must not stall
    everyone. 429s from `global_pause_chats` different chats within `global_pause_window`
    seconds, or one for a call without a chat, mean the bot as a whole is throttled: then
    every call waits. Calls without a chat (answerCallbackQuery, getMe, ...) are not messages
    and pass freely (they wait for a pause of the whole bot only when retrying).
    `clock` and `sleep` are injectable so tests can run the limiter without waiting.
    """

    def __init__(
        self,
        rate: float = 30.0,
        *,
        burst: float = 5,
        per_chat_rate: float = 1.0,
        per_chat_burst: float = 3,
        group_rate: float = 20 / 60,
        max_retries: int = 5,
        global_pause_chats: int = 3,
        global_pause_window: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._bucket = _Bucket(rate, burst, clock)
        self._per_chat = (per_chat_rate, per_chat_burst)
        self._group_rate = group_rate
        self._max_retries = max_retries
        self._global_pause = (max(1, global_pause_chats), global_pause_window)
        self._chats: dict[int | str, _ChatPacing] = {}
        self._recent_429s: deque[tuple[float, int | str, float]] = deque()
        self._interactive: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[asyncio.Future[None]] = deque()
        self._dispatcher: asyncio.Task[None] | None = None
        self._resume_at = 0.0
        self._bulk_open = True

    @classmethod
    def from_settings(cls, settings: BroadcastSettings) -> PriorityRateLimiter:
        return cls(
            settings.effective_rate,
            burst=settings.burst,
            per_chat_rate=settings.effective_per_chat_rate,
            per_chat_burst=settings.per_chat_burst,
            max_retries=settings.max_retries,
            global_pause_chats=settings.global_pause_chats,
            global_pause_window=settings.global_pause_window_seconds,
        )

    async def initialize(self) -> None:
        self._bulk_open = True

    async def shutdown(self) -> None:
        self.close_bulk()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            self._dispatcher = None

    def close_bulk(self) -> None:
        """Refuse broadcast calls not yet sent (they raise BulkSendCancelled); calls already
        under way finish. Used by a stopping worker so it can hand those rows back."""
        self._bulk_open = False
        while self._bulk:
            waiter = self._bulk.popleft()
            if not waiter.done():
                waiter.set_exception(BulkSendCancelled())

    def open_bulk(self) -> None:
        self._bulk_open = True

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> Any:
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        chat_id = _chat_key(data.get("chat_id"))
        for attempt in range(self._max_retries + 1):
            if chat_id is not None:
                chat = self._chat_state(chat_id)
                await self._pace_chat(chat, bulk, message=_creates_message(endpoint))
                await self._acquire(bulk)
            elif attempt:
                await self._wait_until(lambda: self._resume_at, bulk)
            if bulk and not self._bulk_open:
                raise BulkSendCancelled()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self._throttled(chat_id, retry_seconds(exc) + 0.1)
                if attempt == self._max_retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- 429s

    def _throttled(self, chat_id: int | str | None, pause: float) -> None:
        """Pause the chat Telegram refused; the whole bot when it looks throttled as a whole."""
        now = self._clock()
        until = now + pause
        if chat_id is None:
            self._pause_all(until, "a call without a chat was refused")
            return
        chat = self._chat_state(chat_id)
        chat.paused_until = max(chat.paused_until, until)
        log.info("Telegram asked to slow down in chat %s: pausing it for %.1f s", chat_id, pause)
        chats, window = self._global_pause
        recent = self._recent_429s
        recent.append((now, chat_id, until))
        while recent and recent[0][0] < now - window:
            recent.popleft()
        if len({chat for _, chat, _ in recent}) >= chats:
            self._pause_all(max(u for _, _, u in recent), f"{chats} chats refused")

    def _pause_all(self, until: float, why: str) -> None:
        seconds = until - self._clock()
        log.info("Telegram throttles the bot (%s): pausing every send for %.1f s", why, seconds)
        self._resume_at = max(self._resume_at, until)

    async def _wait_until(self, moment: Callable[[], float], bulk: bool) -> None:
        while (wait := moment() - self._clock()) > 0:
            if bulk and not self._bulk_open:
                raise BulkSendCancelled()
            await self._sleep(wait)

    # -- per chat

    async def _pace_chat(self, chat: _ChatPacing, bulk: bool, *, message: bool) -> None:
        """Wait out the chat's pause; a new message also waits for the chat's allowance (one
        at a time, in order). Other chats are not held up by either wait."""
        if not message:
            await self._wait_until(lambda: chat.paused_until, bulk)
            return
        async with chat.lock:
            await self._wait_until(
                lambda: max(chat.paused_until, self._clock() + chat.bucket.wait_time()), bulk
            )
            chat.bucket.take()

    def _chat_state(self, chat_id: int | str) -> _ChatPacing:
        state = self._chats.get(chat_id)
        if state is None:
            if len(self._chats) > 4096:  # forget chats whose allowance is back to full
                now = self._clock()
                for key, chat in list(self._chats.items()):
                    if chat.idle(now):
                        del self._chats[key]
            rate, burst = self._per_chat
            private = isinstance(chat_id, int) and chat_id > 0
            bucket = _Bucket(rate if private else self._group_rate, burst, self._clock)
            state = self._chats[chat_id] = _ChatPacing(bucket)
        return state

    # -- global, by priority

    def _ready(self) -> bool:
        return self._clock() >= self._resume_at and self._bucket.wait_time() == 0

    async def _acquire(self, bulk: bool) -> None:
        if bulk and not self._bulk_open:
            raise BulkSendCancelled()
        ahead = self._interactive or (bulk and self._bulk)
        if not ahead and self._ready():
            self._bucket.take()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._bulk if bulk else self._interactive).append(waiter)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="rate-limiter")
        try:
            await waiter
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                (self._bulk if bulk else self._interactive).remove(waiter)
            raise

    async def _dispatch(self) -> None:
        """Hand out tokens as they accrue: interactive waiters first, then bulk ones."""
        while self._interactive or self._bulk:
            wait = max(self._resume_at - self._clock(), self._bucket.wait_time())
            if wait > 0:
                await self._sleep(wait)
                continue
            queue = self._interactive or self._bulk
            waiter = queue.popleft()
            if not waiter.done():
                self._bucket.take()
                waiter.set_result(None)


def _chat_key(chat_id: Any) -> int | str | None:
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)
    return str(chat_id)  # @channelusername


def _creates_message(endpoint: str) -> bool:
    if endpoint in ("copyMessage", "copyMessages", "forwardMessage", "forwardMessages"):
        return True
    return endpoint.startswith("send") and endpoint != "sendChatAction"


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait (PTB 22 is moving this from int to timedelta; its own
    AIORateLimiter reads the timedelta the same way)."""
    value = exc._retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# ------------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Outgoing:
    """One rendered outbox payload for one reader."""

    text: str
    photo: str | None = None
    reply_markup: InlineKeyboardMarkup | None = None


def render(payload: Mapping[str, Any], lang: str, name: str = "") -> Outgoing:
    """Payload (see bot.services.outbox) → what to send, in the reader's language; a templated
    payload is filled for this reader now (`name`: what to call them; bot.services.templates)."""
    rows = []
    for row in payload.get("buttons") or ():
        buttons = []
        for spec in row:
            label = localized(spec.get("text"), lang)
            if spec.get("url"):
                buttons.append(InlineKeyboardButton(label, url=spec["url"]))
            else:
                buttons.append(InlineKeyboardButton(label, callback_data=spec["callback_data"]))
        rows.append(buttons)
    text = render_text(payload, lang, name)
    return Outgoing(
        text=localized(payload.get("text"), lang) if text is None else text,
        photo=payload.get("photo"),
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
    )


async def send_rendered(
    bot: Bot, chat_id: int, message: Outgoing, *, bulk: bool = False
) -> Message:
    extra = _bulk_kwargs(bot) if bulk else {}
    if message.photo:
        return await bot.send_photo(
            chat_id,
            message.photo,
            caption=fit_html(message.text, CAPTION_MAX) or None,
            reply_markup=message.reply_markup,
            **extra,
        )
    return await bot.send_message(
        chat_id,
        fit_html(message.text),
        reply_markup=message.reply_markup,
        **extra,
    )


def _bulk_kwargs(bot: Bot) -> dict[str, Any]:
    """Mark a call as bulk only where the limiter understands it (AIORateLimiter would not)."""
    limiter = getattr(bot, "rate_limiter", None)
    return {"rate_limit_args": BULK} if isinstance(limiter, PriorityRateLimiter) else {}


# ---------------------------------------------------------------------------------- worker


_RUNNING: set[Sender] = set()


def notify() -> None:
    """Wake the worker(s) of this process: new rows were enqueued."""
    for sender in _RUNNING:
        sender.notify()


class Sender:
    """Drains the outbox: claims due rows only as it hands them to Telegram (so what is leased
    is what is in flight), sends each through the limiter as a bulk call, and settles it at
    once (sent, blocked, failed, retried later, or handed back).

    At start it settles the rows the previous process left in flight as interrupted: this
    bot runs as one process, so nobody else can be sending them."""

    def __init__(
        self, bot: Bot, settings: BroadcastSettings, weekly_cap: WeeklyCap | None = None
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.policy = DeliveryPolicy(
            default_daily_cap=settings.max_promotional_per_day,
            lease=timedelta(seconds=settings.lease_seconds),
            weekly_cap=weekly_cap,
        )
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._trackers: set[asyncio.Task[Any]] = set()
        # Beyond a few requests under way, HTTP client overhead grows and throughput falls;
        # and every row in flight is one a crash may lose.
        self._window = max(1, min(settings.batch_size, settings.max_concurrent_sends))

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self._stopped.clear()
        limiter = getattr(self.bot, "rate_limiter", None)
        if isinstance(limiter, PriorityRateLimiter):
            limiter.open_bulk()
        self._task = asyncio.create_task(self._run(), name="outbox-sender")
        _RUNNING.add(self)

    def notify(self) -> None:
        self._wake.set()

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Graceful stop: claim nothing more, let sends under way finish, hand back the rest.

        Rows still unsettled after `timeout` keep their lease and are later reaped as
        interrupted — never sent twice.
        """
        _RUNNING.discard(self)
        self._stopped.set()
        self._wake.set()
        limiter = getattr(self.bot, "rate_limiter", None)
        if isinstance(limiter, PriorityRateLimiter):
            limiter.close_bulk()
        for tracker in self._trackers:
            tracker.cancel()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        pending = list(self._in_flight) + list(self._trackers)
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def track(
        self,
        campaign: str,
        chat_id: int,
        lang: str,
        *,
        message_id: int | None = None,
        on_message: Callable[[int], Awaitable[None]] | None = None,
    ) -> asyncio.Task[CampaignProgress]:
        """Run `track_progress` for a merchant as a task this worker owns (stopped with it)."""
        task = asyncio.create_task(
            track_progress(
                self.bot,
                campaign,
                chat_id,
                lang,
                message_id=message_id,
                interval=self.settings.progress_interval_seconds,
                on_message=on_message,
            ),
            name=f"progress-{campaign}",
        )
        self._trackers.add(task)
        task.add_done_callback(self._trackers.discard)
        return task

    # -- the loop

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_reap = 0.0
        settled = False
        while not self._stopped.is_set():
            self._wake.clear()
            try:
                if not settled:
                    interrupted = await outbox.settle_interrupted()
                    if interrupted:
                        log.warning("outbox: %d messages were in flight at the last stop "
                                    "(not resent)", interrupted)  # fmt: skip
                    settled = True
                if loop.time() >= next_reap:
                    await outbox.reap_expired(clock.now())
                    next_reap = loop.time() + REAP_EVERY_SECONDS
                wait = await self._fill()
            except Exception:
                log.exception("outbox worker: claiming failed; retrying shortly")
                wait = RETRY_SECONDS
            if wait == 0:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def _fill(self) -> float | None:
        """Claim rows into free slots; returns how long to wait (0: go on, None: until woken)."""
        free = self._window - len(self._in_flight)
        if free < max(1, self._window // 2):  # mostly full: wait for sends to complete
            return None
        now = clock.now()
        rows = await outbox.claim_due(now, free, self.policy)
        for row in rows:
            task = asyncio.create_task(self._deliver(row))
            self._in_flight.add(task)
            task.add_done_callback(self._settled)
        if rows:
            return 0
        due = await outbox.next_due()
        if due is None:
            return IDLE_RECHECK_SECONDS
        return min(max((due - now).total_seconds(), 0.0), IDLE_RECHECK_SECONDS)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()

    # -- one row

    async def _deliver(self, row: Outbox) -> None:
        try:
            await self._attempt(row)
        except Exception as exc:  # a bug must not stop the broadcast or resend the row
            log.exception("outbox row %s: unexpected error", row.id)
            with contextlib.suppress(Exception):
                await outbox.mark_failed(row.id, f"internal: {exc!r}")

    async def _attempt(self, row: Outbox) -> None:
        user = row.user
        name = recipient_name(user.name, user.first_name, user.language)
        message = render(row.payload, user.language, name)
        while True:
            try:
                sent = await send_rendered(self.bot, row.user_id, message, bulk=True)
            except BulkSendCancelled:
                await outbox.release([row.id])
            except RetryAfter as exc:  # the limiter's own retries ran out: wait, keep the row
                if await self._stopping_within(retry_seconds(exc)):
                    await outbox.release([row.id])
                    return
                continue
            except Forbidden:
                await outbox.mark_blocked(row.id)
            except BadRequest as exc:
                await outbox.mark_failed(row.id, exc.message)
            except NetworkError as exc:
                await self._network_failure(row, exc)
            except TelegramError as exc:
                await outbox.mark_failed(row.id, exc.message)
            else:
                await self._delivered(row.id, sent.message_id)
            return

    async def _delivered(self, outbox_id: int, message_id: int) -> None:
        """Record a delivery the moment Telegram accepted it (its own commit): a crash now
        can only lose the messages still in flight."""
        try:
            await outbox.mark_sent(outbox_id, message_id, clock.now())
        except Exception:  # stays leased: settled as interrupted, never sent twice
            log.exception("outbox row %s: delivery not recorded", outbox_id)

    async def _network_failure(self, row: Outbox, exc: NetworkError) -> None:
        """Retry with backoff only when the request surely never reached Telegram; otherwise
        the message may have been delivered, and at-most-once wins."""
        if not _surely_unsent(exc):
            await outbox.mark_failed(row.id, f"unconfirmed: {exc.message}")
        elif row.attempts + 1 >= self.settings.max_attempts:
            await outbox.mark_failed(row.id, f"network: {exc.message}")
        else:
            backoff = min(2.0 ** (row.attempts + 1), 300.0)
            retry_at = clock.now() + timedelta(seconds=backoff)
            await outbox.mark_retry(row.id, retry_at, f"network: {exc.message}")

    async def _stopping_within(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self._stopped.wait()
        except TimeoutError:
            return False
        return True


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _surely_unsent(exc: NetworkError) -> bool:
    """Connection never made, or the server answered with an HTTP error (e.g. 502)."""
    cause = exc.__cause__
    if cause is None or isinstance(cause, TelegramError):
        return not isinstance(exc, TimedOut)
    return isinstance(cause, _NOT_SENT)


async def start_sender(app: Application[Any, Any, Any, Any, Any, Any]) -> Sender:
    """Start the worker for `app` (post_init), kept in bot_data["sender"]."""
    config = app.bot_data["deps"].config
    sender = Sender(app.bot, config.broadcast, weekly_cap_of(config.greetings))
    app.bot_data["sender"] = sender
    sender.start()
    return sender


async def stop_sender(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop it gracefully (post_stop, before the bot's HTTP client closes); idempotent."""
    sender: Sender | None = app.bot_data.pop("sender", None)
    if sender is not None:
        await sender.stop()


def sender_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Sender | None:
    return app.bot_data.get("sender")


# ---------------------------------------------------------------------- merchant's progress


async def track_progress(
    bot: Bot,
    campaign: str,
    chat_id: int,
    lang: str,
    *,
    message_id: int | None = None,
    interval: float = 3.0,
    on_message: Callable[[int], Awaitable[None]] | None = None,
) -> CampaignProgress:
    """Show the merchant "sent / total" in one message edited every `interval` seconds, then
    send the final report. Pass `message_id` to resume after a restart; `on_message` learns
    the id of a new progress message (to store it)."""
    loop = asyncio.get_running_loop()
    progress = await outbox.campaign_progress(campaign)
    if message_id is None:
        sent = await bot.send_message(chat_id, progress_text(lang, progress))
        message_id = sent.message_id
        if on_message is not None:
            await on_message(message_id)
    shown, last_edit = progress, loop.time()
    while not progress.done:
        await asyncio.sleep(min(interval, PROGRESS_CHECK_SECONDS))
        progress = await outbox.campaign_progress(campaign)
        if progress != shown and (progress.done or loop.time() - last_edit >= interval):
            await _edit_quietly(bot, chat_id, message_id, progress_text(lang, progress))
            shown, last_edit = progress, loop.time()
    await bot.send_message(chat_id, report_text(lang, progress))
    return progress


async def _edit_quietly(bot: Bot, chat_id: int, message_id: int, text: str) -> None:
    """Progress edits are best effort: a deleted message or a flood wait must not stop it."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    except TelegramError as exc:
        log.info("progress message %s/%s not edited: %s", chat_id, message_id, exc)


def progress_bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else width
    return "▓" * filled + "░" * (width - filled)


def progress_text(lang: str, progress: CampaignProgress) -> str:
    settled = progress.total - progress.pending + progress.deferred
    key = "sender.progress_done" if progress.done else "sender.progress"
    return t(
        lang,
        key,
        bar=progress_bar(settled, progress.total),
        sent=progress.sent,
        total=progress.total,
    )


def report_text(lang: str, progress: CampaignProgress) -> str:
    if progress.total == 0:
        return t(lang, "sender.report_nobody")
    lines = [
        t(lang, "sender.report_title"),
        t(lang, "sender.report_delivered", delivered=progress.sent, count=progress.total),
    ]
    for key, count in (
        ("sender.report_deferred", progress.deferred),
        ("sender.report_blocked", progress.blocked),
        ("sender.report_skipped", progress.skipped),
        ("sender.report_failed", progress.failed),
        ("sender.report_interrupted", progress.interrupted),
    ):
        if count:
            lines.append(t(lang, key, count=count))
    return "\n".join(lines)


# ------------------------------------------------------------------- editing sent messages


async def edit_campaign_messages(
    bot: Bot,
    campaign: str,
    text: str | Mapping[str, str],
    reply_markup: InlineKeyboardMarkup | None = None,
) -> int:
    """Rewrite every delivered message of a campaign (e.g. "this flash deal has ended"; no
    `reply_markup` removes its buttons). `text` may be {lang: text}. Returns how many were
    edited; messages deleted or chats blocked meanwhile are passed over."""
    rows = await outbox.delivered(campaign)
    gate = asyncio.Semaphore(EDIT_CONCURRENCY)
    extra = _bulk_kwargs(bot)

    async def edit(row: Outbox) -> bool:
        body = localized(text, row.user.language)
        target = {"chat_id": row.user_id, "message_id": row.chat_message_id}
        async with gate:
            try:
                if row.payload.get("photo"):
                    await bot.edit_message_caption(
                        caption=fit_html(body, CAPTION_MAX),
                        reply_markup=reply_markup,
                        **target,
                        **extra,
                    )
                else:
                    await bot.edit_message_text(
                        fit_html(body),
                        reply_markup=reply_markup,
                        **target,
                        **extra,
                    )
            except (TelegramError, BulkSendCancelled) as exc:
                log.info("campaign %s: message to %s not edited: %s", campaign, row.user_id, exc)
                return False
        return True

    results = await asyncio.gather(*(edit(row) for row in rows))
    return sum(results)
