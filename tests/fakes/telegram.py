"""A fake Telegram Bot API server for driving an unmodified python-telegram-bot Application.

Start it with ``async with FakeTelegram() as fake:`` and point PTB at it::

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )

Every call is validated against the official Bot API spec (see :mod:`tests.fakes.telegram_spec`)
and answered the way Telegram answers, including its errors (400 Bad Request, 403 blocked,
404 unknown method, 409 conflicting getUpdates, 429 flood limits). Tests act as Telegram users
through :meth:`FakeTelegram.user` (see :mod:`tests.fakes.users`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import json
import math
import secrets
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from tests.fakes.telegram_markup import (
    EntityParseError,
    FormattedText,
    UnsupportedParseModeError,
    parse_formatted,
)
from tests.fakes.telegram_models import (
    CONTENT_KEYS,
    BotMessage,
    CallbackPress,
    ChatAction,
    MessageEdit,
    RejectedCall,
    StoredFile,
    UserMessage,
)
from tests.fakes.telegram_spec import ApiError, BotApiSpec, UploadedFile, bad_request
from tests.fakes.users import FakeUser

__all__ = [
    "BotMessage",
    "CallbackPress",
    "ChatAction",
    "FakeTelegram",
    "FakeUser",
    "ManualClock",
    "MessageEdit",
    "RejectedCall",
    "StoredFile",
    "TokenBucket",
    "UserMessage",
    "fake_telegram",
]

T = TypeVar("T")
Handler = Callable[[dict[str, Any], dict[str, UploadedFile]], Awaitable[Any]]

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Methods that don't create a message although their name starts with "send".
_NOT_MESSAGES = frozenset(
    {"sendChatAction", "sendMessageDraft", "sendRichMessageDraft", "sendChatJoinRequestWebApp"}
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_PHOTO_STEPS = (90, 320, 800, 1280)
# Media parameter name -> spec type of the resulting Message field.
_MEDIA_KINDS = {
    "photo": "PhotoSize",
    "document": "Document",
    "video": "Video",
    "audio": "Audio",
    "animation": "Animation",
    "voice": "Voice",
    "video_note": "VideoNote",
    "sticker": "Sticker",
}


class ManualClock:
    """A monotonic clock for tests: returns ``now`` until :meth:`advance` moves it."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


class TokenBucket:
    """Token bucket: ``rate`` tokens per second, holding at most ``burst`` tokens."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self.clock = clock
        self.tokens = self.burst
        self.updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        """Seconds until one token is available (0 if available now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Consume one token (call after :meth:`wait_time` returned 0)."""
        self._refill()
        self.tokens -= 1


@dataclass
class _Chat:
    chat_id: int
    user: dict[str, Any]
    chat_type: str = "private"
    next_message_id: int = 1
    messages: dict[int, BotMessage | UserMessage] = field(default_factory=dict)
    log: list[Any] = field(default_factory=list)
    bucket: TokenBucket | None = None
    flood_until: float = 0.0  # messages refused with 429 until then
    chat_instance: str = field(default_factory=lambda: str(secrets.randbits(62)))

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.chat_id, "type": self.chat_type}
        for key in ("first_name", "last_name", "username"):
            if self.user.get(key):
                data[key] = self.user[key]
        return data


class FakeTelegram:
    """Fake Bot API server (aiohttp on 127.0.0.1, random free port) plus test-user helpers.

    Args:
        token: bot token the server accepts (default ``"<bot_id>:TEST-TOKEN"``).
        bot_id, bot_username, bot_first_name: what getMe returns.
        global_rate / global_burst: messages per second for the whole bot (None disables;
            the burst defaults to the rate).
        per_chat_rate / per_chat_burst: messages per second per chat and how many may be sent
            at once (None disables). Message-creating calls (send*, copyMessage,
            forwardMessage; a media group counts once) take a token from both buckets;
            edits only from the global one. Exceeding either gives 429 with retry_after,
            and, as Telegram does, that flood wait holds until retry_after has passed (a
            client retrying sooner is refused again, even if a token has accrued meanwhile).
            Telegram documents ~1 message/s per chat "with short bursts" and 30/s per bot;
            the default burst of 3 per chat is what a careful client should stay within.
        clock: monotonic clock for the rate limits (see :class:`ManualClock`).
        spec_path: api.min.json location (default: ``$TELEGRAM_BOT_API_SPEC`` or the shared
            copy).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = 1000,
        bot_username: str = "TestShopBot",
        bot_first_name: str = "Test Shop Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        global_rate: float | None = 30.0,
        global_burst: float | None = None,
        per_chat_rate: float | None = 1.0,
        per_chat_burst: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        spec_path: str | Path | None = None,
    ) -> None:
        self.spec = BotApiSpec.load(spec_path)
        self.token = token or f"{bot_id}:TEST-TOKEN"
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.host = host
        self.port = port
        self.clock = clock
        self.per_chat_rate = per_chat_rate
        self.per_chat_burst = per_chat_burst
        self._global_bucket = (
            TokenBucket(global_rate, global_burst or global_rate, clock) if global_rate else None
        )
        self._global_flood_until = 0.0

        #: Every request to a known method: (canonical method name, decoded params).
        self.calls: list[tuple[str, dict[str, Any]]] = []
        #: Every refused request, in order (400/401/403/404/409/429).
        self.errors: list[RejectedCall] = []
        #: Every message the bot created, in order.
        self.messages: list[BotMessage] = []
        #: Every sendChatAction.
        self.chat_actions: list[ChatAction] = []
        #: Every callback query a test user produced, by id.
        self.presses: dict[str, CallbackPress] = {}
        #: Files by file_id.
        self.files: dict[str, StoredFile] = {}
        #: Bot commands by (canonical scope JSON, language code).
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        #: Menu buttons by chat id (None = the default button).
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        #: setMyName / setMyDescription / setMyShortDescription values by (field, language).
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.blocked: set[int] = set()

        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, FakeUser] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._seq = 0
        self._counter = 0
        self._closing = False
        self._changed = asyncio.Event()
        self._photo_sets: dict[str, list[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": self._true,
            "close": self._true,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyName": self._set_bot_text("name"),
            "getMyName": self._get_bot_text("name"),
            "setMyDescription": self._set_bot_text("description"),
            "getMyDescription": self._get_bot_text("description"),
            "setMyShortDescription": self._set_bot_text("short_description"),
            "getMyShortDescription": self._get_bot_text("short_description"),
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "deleteMessage": self._delete_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_media("photo"),
            "sendDocument": self._send_media("document"),
            "sendVenue": self._send_venue,
            "sendLocation": self._send_location,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
        }

    # ------------------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)`` (PTB appends the token)."""
        return f"{self.url}/file/bot"

    @property
    def api_url(self) -> str:
        """``<url>/bot<token>``: append ``/<method>`` for raw HTTP calls."""
        return f"{self.base_url}{self.token}"

    async def start(self) -> None:
        """Start serving on ``host`` and a free port (sets :attr:`port`)."""
        self._closing = False
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Wake pending long polls and stop the server."""
        self._closing = True
        self._signal()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -------------------------------------------------------------------------- test helpers

    def user(
        self,
        user_id: int,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """A Telegram user in a private chat with the bot (chat id == user id); idempotent."""
        if user_id in self._users:
            return self._users[user_id]
        data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            data["last_name"] = last_name
        if username:
            data["username"] = username
        if language_code:
            data["language_code"] = language_code
        bucket = (
            TokenBucket(self.per_chat_rate, self.per_chat_burst, self.clock)
            if self.per_chat_rate
            else None
        )
        self._chats[user_id] = _Chat(user_id, data, bucket=bucket)
        self._users[user_id] = FakeUser(self, data)
        return self._users[user_id]

    def flood_wait(self, chat_id: int, seconds: int) -> None:
        """Telegram imposes a flood wait on one chat: messages to it get 429 with retry_after
        (the time left) until ``seconds`` have passed."""
        chat = self._chats[chat_id]
        chat.flood_until = max(chat.flood_until, self.clock() + seconds)

    def block(self, user_id: int, *, notify_bot: bool = False) -> None:
        """The user blocks the bot: sending to them now fails with 403.

        With ``notify_bot`` a ``my_chat_member`` update (status ``kicked``) is queued, as
        Telegram does.
        """
        self.blocked.add(user_id)
        if notify_bot:
            self._member_update(user_id, "member", "kicked")

    def unblock(self, user_id: int, *, notify_bot: bool = False) -> None:
        """The user unblocks the bot."""
        self.blocked.discard(user_id)
        if notify_bot:
            self._member_update(user_id, "kicked", "member")

    def chat_messages(self, chat_id: int) -> list[BotMessage]:
        """All bot messages in a chat (including deleted ones), oldest first."""
        return [m for m in self.messages if m.chat_id == chat_id]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Params of every call to ``method`` (case-insensitive)."""
        name = self.spec.method_name(method) or method
        return [params for m, params in self.calls if m == name]

    @property
    def throttled(self) -> list[RejectedCall]:
        """Every 429 answer given."""
        return [e for e in self.errors if e.status == 429]

    @property
    def throttle_count(self) -> int:
        """How many 429 answers were given."""
        return len(self.throttled)

    @property
    def unanswered_presses(self) -> list[CallbackPress]:
        """Callback queries the bot never answered (Telegram clients keep spinning)."""
        return [p for p in self.presses.values() if p.answer is None]

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery params, in the order the queries were pressed."""
        return [p.answer for p in self.presses.values() if p.answer is not None]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by getUpdates offset."""
        return list(self._updates)

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file (KeyError if unknown)."""
        return self.files[file_id].data or b""

    def commands_for(self, chat_id: int, language_code: str | None = None) -> list[str]:
        """Command names a private chat sees in a language, resolved like Telegram does.

        Order: chat scope, all_private_chats, default; at each level the list for the
        language wins over the language-less list.
        """
        scopes = (
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        )
        languages = [language_code, ""] if language_code else [""]
        for scope in scopes:
            for lang in languages:
                found = self.commands.get((self._scope_key(scope), lang))
                if found:
                    return [c["command"] for c in found]
        return []

    def assert_no_errors(self, *, ignore: tuple[int, ...] = ()) -> None:
        """Raise AssertionError listing refused calls (statuses in ``ignore`` excepted)."""
        errors = [e for e in self.errors if e.status not in ignore]
        if errors:
            lines = [f"  {e.method} -> {e.status} {e.description}" for e in errors]
            raise AssertionError("fake Telegram refused calls:\n" + "\n".join(lines))

    def transcript(self, chat_id: int) -> str:
        """Readable history of a chat (messages, buttons, presses, edits, refused calls)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return f"(no chat {chat_id})"
        name = chat.user.get("first_name", str(chat_id))
        handle = f" @{chat.user['username']}" if chat.user.get("username") else ""
        lang = chat.user.get("language_code") or "-"
        lines = [f"chat {chat_id} ({chat.chat_type}) with {name}{handle} [{lang}]:"]
        for event in chat.log:
            lines.extend(self._describe(event, name))
        if len(lines) == 1:
            lines.append("  (empty)")
        return "\n".join(lines)

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (re-checked whenever anything happens)."""
        try:
            return await self._wait(predicate, timeout)
        except TimeoutError:
            raise AssertionError(
                f"condition not met within {timeout}s; last calls: "
                f"{[m for m, _ in self.calls[-10:]]}; errors: "
                f"{[(e.method, e.description) for e in self.errors[-5:]]}"
            ) from None

    def enqueue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (``update_id`` is assigned) and wake long polls."""
        update = {"update_id": self._next_update_id, **update}
        self._next_update_id += 1
        self._updates.append(update)
        self._bump()
        return update

    # ----------------------------------------------------- internals shared with FakeUser

    def _bump(self) -> int:
        """Count an event (its sequence number orders everything) and wake all waiters."""
        self._seq += 1
        self._signal()
        return self._seq

    def _signal(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait(self, predicate: Callable[[], T], seconds: float) -> T:
        """Re-check ``predicate`` after every change until truthy; TimeoutError after seconds."""
        async with asyncio.timeout(seconds):
            while True:
                result = predicate()
                if result:
                    return result
                await self._changed.wait()

    def _chat_state(self, chat_id: int) -> _Chat:
        return self._chats[chat_id]

    def _new_message_id(self, chat: _Chat) -> int:
        mid = chat.next_message_id
        chat.next_message_id += 1
        return mid

    def _unique(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:06d}{secrets.token_hex(4)}"

    def store_file(
        self,
        data: bytes | None,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        """Keep a file so getFile and downloads work for it; returns its record."""
        file_id = self._unique(f"{kind[:2].upper()}AC")
        unique = self._unique("AQAD")
        ext = Path(file_name).suffix if file_name else {"photo": ".jpg"}.get(kind, "")
        path = f"{kind}s/file_{self._counter}{ext}"
        stored = StoredFile(file_id, unique, kind, data, path, file_name, mime_type, url)
        self.files[file_id] = stored
        return stored

    def photo_sizes(self, data: bytes | None, *, url: str | None = None) -> list[dict[str, Any]]:
        """Store a photo and return its PhotoSize list (smallest first, same bytes each)."""
        width, height = _image_size(data or b"") or (1280, 960)
        longest = max(width, height)
        steps = [s for s in _PHOTO_STEPS if s < longest] + [longest]
        sizes = []
        for step in steps:
            stored = self.store_file(data, "photo", url=url)
            scale = step / longest
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                    "file_size": stored.size,
                }
            )
        for size in sizes:
            self._photo_sets[size["file_id"]] = sizes
        return sizes

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        chat = self._chats[user_id]
        bot = self._bot_user()

        def member(status: str) -> dict[str, Any]:
            # A banned ("kicked") member always carries until_date (0: for ever).
            return {"status": status, "user": bot} | (
                {"until_date": 0} if status == "kicked" else {}
            )

        self.enqueue_update(
            {
                "my_chat_member": {
                    "chat": chat.json(),
                    "from": chat.user,
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    # ----------------------------------------------------------------------------- HTTP layer

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return _error_response(ApiError(404, "Not Found"))

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path and stored.data is not None:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return _error_response(ApiError(404, "Not Found"))

    async def _handle_api(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._reject(raw_method, {}, ApiError(401, "Unauthorized"))
        method = self.spec.method_name(raw_method)
        if method is None:
            return self._reject(raw_method, {}, ApiError(404, "Not Found"))
        params: dict[str, Any] = {}
        try:
            params, files = await _read_params(request)
            params = self.spec.validate(method, params, files)
        except ApiError as exc:
            self.calls.append((method, params))
            return self._reject(method, params, exc)
        self.calls.append((method, params))
        handler = self._handlers.get(method) or functools.partial(self._generic, method)
        try:
            result = await handler(params, files)
        except ApiError as exc:
            return self._reject(method, params, exc)
        return web.json_response({"ok": True, "result": result})

    def _reject(self, method: str, params: dict[str, Any], exc: ApiError) -> web.Response:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        record = RejectedCall(
            method,
            params,
            exc.status,
            exc.description,
            chat_id if isinstance(chat_id, int) else None,
            self._bump(),
            exc.retry_after,
        )
        self.errors.append(record)
        if record.chat_id in self._chats:
            self._chats[record.chat_id].log.append(record)
        return _error_response(exc)

    # ------------------------------------------------------------------------ shared checks

    def _chat(self, chat_id: Any) -> _Chat:
        if isinstance(chat_id, int) and chat_id in self._chats:
            return self._chats[chat_id]
        raise bad_request("chat not found")

    def _target(self, params: dict[str, Any]) -> _Chat:
        chat = self._chat(params["chat_id"])
        if chat.chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _rate_check(self, chat: _Chat | None, *, per_chat: bool = True) -> None:
        """Take a token from the global (and the chat's) bucket or raise 429. Running out
        starts a flood wait (of the chat, or of the whole bot) lasting the retry_after given;
        calls during it are refused without extending it."""
        now = self.clock()
        chat = chat if per_chat else None
        flood = max(self._global_flood_until, chat.flood_until if chat else 0.0) - now
        if flood > 0:
            retry = max(1, math.ceil(flood))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        global_wait = self._global_bucket.wait_time() if self._global_bucket else 0.0
        chat_wait = chat.bucket.wait_time() if chat is not None and chat.bucket else 0.0
        if global_wait > 0 or chat_wait > 0:
            retry = max(1, math.ceil(max(global_wait, chat_wait)))
            if global_wait > 0:
                self._global_flood_until = now + retry
            if chat is not None and chat_wait > 0:
                chat.flood_until = now + retry
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        for bucket in (self._global_bucket, chat.bucket if chat is not None else None):
            if bucket is not None:
                bucket.take()

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _format(
        self, text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
    ) -> FormattedText:
        if entities is not None:
            return FormattedText(text, entities)
        try:
            return parse_formatted(text, parse_mode)
        except UnsupportedParseModeError:
            raise bad_request("unsupported parse_mode") from None
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None

    def _resolve_file(
        self, value: UploadedFile | str, kind: str, files: dict[str, UploadedFile]
    ) -> tuple[StoredFile | None, UploadedFile | str]:
        """Known StoredFile for a file_id, or None for a fresh upload/URL (returned as given)."""
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in files:
                raise bad_request(f'file "{name}" must be uploaded as multipart part')
            value = files[name]
        if isinstance(value, UploadedFile):
            return None, value
        if value.startswith(("http://", "https://")):
            return None, value
        stored = self.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored, value

    def _media_content(
        self, kind: str, value: UploadedFile | str, files: dict[str, UploadedFile]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(Message JSON media part, BotMessage media fields) for a photo/document/... value."""
        stored, source = self._resolve_file(value, kind, files)
        url = source if isinstance(source, str) else None
        data = source.data if isinstance(source, UploadedFile) else None
        if kind == "photo":
            if stored is not None:
                sizes = copy.deepcopy(self._photo_sets[stored.file_id])
                data = stored.data
            else:
                sizes = self.photo_sizes(data, url=url)
            return {"photo": sizes}, {"photo": data, "photo_file_id": sizes[-1]["file_id"]}
        if stored is None:
            name = source.filename if isinstance(source, UploadedFile) else None
            mime = source.content_type if isinstance(source, UploadedFile) else None
            if url:
                name = url.rsplit("/", 1)[-1] or None
            stored = self.store_file(data, kind, file_name=name, mime_type=mime, url=url)
        obj: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.file_name and kind in ("document", "video", "audio", "animation"):
            obj["file_name"] = stored.file_name
        if stored.mime_type and kind not in ("sticker", "video_note"):
            obj["mime_type"] = stored.mime_type
        if kind in ("sticker", "video", "animation"):
            obj.update(width=512, height=512)
        if kind == "video_note":
            obj["length"] = 240
        obj = self.spec.complete(_MEDIA_KINDS[kind], obj)
        fields: dict[str, Any] = {}
        if kind == "document":
            fields = {
                "document": stored.data,
                "document_file_id": stored.file_id,
                "document_name": stored.file_name,
                "mime_type": stored.mime_type,
            }
        return {kind: obj}, fields

    def _reply_to(self, chat: _Chat, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target_chat = chat
        if "chat_id" in reply:
            target_chat = self._chat(reply["chat_id"])
        mid = reply["message_id"]
        msg = target_chat.messages.get(mid)
        if msg is None or msg.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return mid

    def _create(
        self,
        method: str,
        chat: _Chat,
        params: dict[str, Any],
        *,
        formatted: FormattedText | None = None,
        caption: FormattedText | None = None,
        content: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> BotMessage:
        msg = BotMessage(
            message_id=self._new_message_id(chat),
            chat_id=chat.chat_id,
            method=method,
            date=int(time.time()),
            seq=self._bump(),
            params=params,
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
            content=content or {},
            reply_to_message_id=reply_to,
            media_group_id=media_group_id,
            chat_type=chat.chat_type,
            **(fields or {}),
        )
        if formatted is not None:
            msg.text, msg.raw_text, msg.entities = (
                formatted.text,
                params["text"],
                formatted.entities,
            )
        if caption is not None and caption.text:
            msg.caption, msg.caption_entities = caption.text, caption.entities
            msg.raw_caption = params.get("caption")
        if "location" in msg.content:
            msg.location = msg.content["location"]
        if "venue" in msg.content:
            venue = msg.content["venue"]
            msg.venue = {**venue["location"], **{k: v for k, v in venue.items() if k != "location"}}
        chat.messages[msg.message_id] = msg
        chat.log.append(msg)
        self.messages.append(msg)
        return msg

    def message_json(
        self, msg: BotMessage | UserMessage, *, nested: bool = False
    ) -> dict[str, Any]:
        """The Telegram Message object for a stored message (current state)."""
        if isinstance(msg, UserMessage):
            return copy.deepcopy(msg.data)
        chat = self._chats[msg.chat_id]
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self._bot_user(),
            "chat": chat.json(),
            "date": msg.date,
        }
        if msg.edit_date:
            data["edit_date"] = msg.edit_date
        if msg.forward_origin:
            data["forward_origin"] = msg.forward_origin
        if msg.media_group_id:
            data["media_group_id"] = msg.media_group_id
        if msg.reply_to_message_id and not nested:
            target = chat.messages.get(msg.reply_to_message_id)
            if target is not None:
                data["reply_to_message"] = self.message_json(target, nested=True)
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        data.update(copy.deepcopy(msg.content))
        if msg.caption:
            data["caption"] = msg.caption
            if msg.caption_entities:
                data["caption_entities"] = msg.caption_entities
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data

    # ------------------------------------------------------------------------------- methods

    async def _true(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        return True

    async def _generic(
        self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        """Any other spec method: validated and recorded; answered with a plausible result.

        Other message-creating methods (sendContact, sendVideo, sendDice, ...) create a
        BotMessage with what content can be derived from the parameters.
        """
        returns = self.spec.returns.get(method, ("Boolean",))
        if _creates_message(method) and "chat_id" in params:
            chat = self._target(params)
            content, fields = self._generic_content(method, params, files)
            caption = self._caption(params)
            reply_to = self._reply_to(chat, params)
            self._rate_check(chat)
            msg = self._create(
                method,
                chat,
                params,
                caption=caption,
                content=content,
                fields=fields,
                reply_to=reply_to,
            )
            if returns == ("MessageId",):
                return {"message_id": msg.message_id}
            return self.message_json(msg)
        if not returns or "Boolean" in returns:
            return True
        if returns[0].startswith("Array of"):
            return []
        if returns[0] in self.spec.types:
            return self.spec.complete(returns[0])
        return {"Integer": 0, "String": "", "Float": 0.0}.get(returns[0], True)

    def _generic_content(
        self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        for kind in _MEDIA_KINDS:
            if kind in params and method == "send" + kind.title().replace("_", ""):
                return self._media_content(kind, params[kind], files)
        complete = self.spec.complete
        if method == "sendContact":
            keys = ("phone_number", "first_name", "last_name", "vcard")
            return {"contact": {k: params[k] for k in keys if k in params}}, {}
        if method == "sendDice":
            dice = {"emoji": params.get("emoji", "🎲"), "value": 1}
            return {"dice": complete("Dice", dice)}, {}
        if method == "sendPoll":
            options = [
                complete("PollOption", {"persistent_id": str(i), "text": o.get("text", "")})
                for i, o in enumerate(params.get("options", []))
            ]
            poll = {
                "id": self._unique("poll"),
                "question": params.get("question", ""),
                "options": options,
                "is_anonymous": params.get("is_anonymous", True),
                "type": params.get("type", "regular"),
                "allows_multiple_answers": params.get("allows_multiple_answers", False),
            }
            return {"poll": complete("Poll", poll)}, {}
        if method == "sendInvoice":
            keys = ("title", "description", "currency", "start_parameter")
            invoice = {k: params[k] for k in keys if k in params}
            invoice["total_amount"] = sum(p.get("amount", 0) for p in params.get("prices", []))
            return {"invoice": complete("Invoice", invoice)}, {}
        return {}, {}

    async def _get_me(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self) -> list[dict[str, Any]]:
        kept = [u for u in self._updates if _update_type(u) in self._allowed_updates]
        self._updates = kept
        return kept

    async def _get_updates(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if "allowed_updates" in params:
            allowed = params["allowed_updates"]
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if "offset" in params:
            self._confirm(params["offset"])
        limit = min(max(params.get("limit", 100), 1), 100)
        timeout = max(params.get("timeout", 0), 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal()
        if timeout and not self._deliverable():
            with contextlib.suppress(TimeoutError):
                await self._wait(
                    lambda: (
                        self._closing
                        or generation != self._poll_generation
                        or bool(self._deliverable())
                    ),
                    timeout,
                )
        if generation != self._poll_generation and not self._closing:
            raise ApiError(409, _CONFLICT)
        return self._deliverable()[:limit]

    async def _set_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if params["url"] == "":
            return await self._delete_webhook(params, files)
        raise bad_request(
            "webhooks are not supported by the fake Telegram server; use getUpdates polling"
        )

    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _scope_key(self, scope: dict[str, Any] | None) -> str:
        scope = dict(scope or {"type": "default"})
        for key in ("chat_id", "user_id"):
            if isinstance(scope.get(key), str) and scope[key].lstrip("-").isdigit():
                scope[key] = int(scope[key])
        return json.dumps(scope, sort_keys=True, separators=(",", ":"))

    def _check_scope(self, scope: dict[str, Any] | None) -> None:
        if scope and "chat_id" in scope:
            self._chat(scope["chat_id"])

    async def _set_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        self._check_scope(params.get("scope"))
        key = (self._scope_key(params.get("scope")), params.get("language_code", ""))
        if params["commands"]:
            self.commands[key] = params["commands"]
        else:
            self.commands.pop(key, None)
        return True

    async def _delete_my_commands(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        self._check_scope(params.get("scope"))
        self.commands.pop(
            (self._scope_key(params.get("scope")), params.get("language_code", "")), None
        )
        return True

    async def _get_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        self._check_scope(params.get("scope"))
        key = (self._scope_key(params.get("scope")), params.get("language_code", ""))
        return self.commands.get(key, [])

    async def _set_chat_menu_button(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            self._chat(chat_id)
        self.menu_buttons[chat_id] = params.get("menu_button", {"type": "default"})
        return True

    async def _get_chat_menu_button(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat_id = params.get("chat_id")
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return button or {"type": "commands"}

    def _set_bot_text(self, name: str) -> Handler:
        async def handler(params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
            self.bot_texts[(name, params.get("language_code", ""))] = params.get(name, "")
            return True

        return handler

    def _get_bot_text(self, name: str) -> Handler:
        async def handler(params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
            lang = params.get("language_code", "")
            value = self.bot_texts.get((name, lang)) or self.bot_texts.get((name, ""), "")
            if name == "name" and not value:
                value = self.bot_first_name
            return {name: value}

        return handler

    async def _answer_callback_query(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        press = self.presses.get(params["callback_query_id"])
        if press is None or press.answer is not None:
            raise bad_request(_QUERY_INVALID)
        press.answer = params
        self._bump()
        return True

    async def _get_file(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    async def _get_chat(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params["chat_id"])
        return self.spec.complete(
            "ChatFullInfo", {**chat.json(), "accent_color_id": 0, "max_reaction_count": 11}
        )

    async def _get_chat_member(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params["chat_id"])
        user_id = params["user_id"]
        if user_id == self.bot_id:
            return {"status": "member", "user": self._bot_user()}
        if user_id != chat.chat_id:
            raise bad_request("user not found")
        status = "kicked" if user_id in self.blocked else "member"
        return {"status": status, "user": chat.user} | (
            {"until_date": 0} if status == "kicked" else {}
        )

    async def _delete_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params["chat_id"])
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        msg.deleted = True
        chat.log.append(("deleted", msg.message_id, self._bump()))
        return True

    # -------------------------------------------------------------------------------- sending

    async def _send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._target(params)
        formatted = self._format(params["text"], params.get("parse_mode"), params.get("entities"))
        if not formatted.text:
            raise bad_request("message text is empty")
        reply_to = self._reply_to(chat, params)
        self._rate_check(chat)
        msg = self._create("sendMessage", chat, params, formatted=formatted, reply_to=reply_to)
        return self.message_json(msg)

    def _caption(self, params: dict[str, Any]) -> FormattedText | None:
        if "caption" not in params:
            return None
        return self._format(
            params["caption"], params.get("parse_mode"), params.get("caption_entities")
        )

    def _send_media(self, kind: str) -> Handler:
        method = f"send{kind.title()}"

        async def handler(params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
            chat = self._target(params)
            caption = self._caption(params)
            content, fields = self._media_content(kind, params[kind], files)
            reply_to = self._reply_to(chat, params)
            self._rate_check(chat)
            msg = self._create(
                method,
                chat,
                params,
                caption=caption,
                content=content,
                fields=fields,
                reply_to=reply_to,
            )
            return self.message_json(msg)

        return handler

    async def _send_location(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._target(params)
        location = _location(params)
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if key in params:
                location[key] = params[key]
        reply_to = self._reply_to(chat, params)
        self._rate_check(chat)
        msg = self._create(
            "sendLocation", chat, params, content={"location": location}, reply_to=reply_to
        )
        return self.message_json(msg)

    async def _send_venue(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._target(params)
        location = _location(params)
        venue: dict[str, Any] = {
            "location": location,
            "title": params["title"],
            "address": params["address"],
        }
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if key in params:
                venue[key] = params[key]
        reply_to = self._reply_to(chat, params)
        self._rate_check(chat)
        msg = self._create(
            "sendVenue",
            chat,
            params,
            content={"venue": venue, "location": dict(location)},
            reply_to=reply_to,
        )
        return self.message_json(msg)

    async def _send_media_group(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat = self._target(params)
        prepared = []
        for item in params["media"]:
            kind = item["type"]
            if kind not in ("photo", "document", "video", "audio"):
                raise bad_request(f"can't parse InputMedia: type \"{kind}\" can't be used here")
            caption = None
            if "caption" in item:
                caption = self._format(
                    item["caption"], item.get("parse_mode"), item.get("caption_entities")
                )
            content, fields = self._media_content(kind, item["media"], files)
            prepared.append((kind, item, caption, content, fields))
        kinds = {p[0] for p in prepared}
        if len(kinds) > 1 and kinds & {"document", "audio"}:
            raise bad_request(
                f"{sorted(kinds & {'document', 'audio'})[0]} can't be mixed with other media types"
            )
        reply_to = self._reply_to(chat, params)
        self._rate_check(chat)
        group_id = self._unique("")
        results = []
        for _kind, item, caption, content, fields in prepared:
            item_params = {**params, **item, "media": item["media"]}
            msg = self._create(
                "sendMediaGroup",
                chat,
                item_params,
                caption=caption,
                content=content,
                fields=fields,
                reply_to=reply_to,
                media_group_id=group_id,
            )
            msg.reply_markup = None
            results.append(self.message_json(msg))
        return results

    async def _send_chat_action(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat = self._target(params)
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        action = ChatAction(chat.chat_id, params["action"], self._bump())
        self.chat_actions.append(action)
        chat.log.append(action)
        return True

    def _source(self, params: dict[str, Any], what: str) -> BotMessage | UserMessage:
        source_chat = self._chat(params["from_chat_id"])
        msg = source_chat.messages.get(params["message_id"])
        if msg is None or msg.deleted:
            raise bad_request(f"message to {what} not found")
        return msg

    async def _copy_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._target(params)
        source = self._source(params, "copy")
        original = self.message_json(source)
        content = {k: copy.deepcopy(original[k]) for k in CONTENT_KEYS if k in original}
        text = content.pop("text", None)
        entities = content.pop("entities", [])
        old_caption = content.pop("caption", None)
        old_caption_entities = content.pop("caption_entities", [])
        caption = self._caption(params)
        if caption is None and old_caption is not None:
            caption = FormattedText(old_caption, old_caption_entities)
        reply_to = self._reply_to(chat, params)
        self._rate_check(chat)
        msg = self._create(
            "copyMessage",
            chat,
            params,
            caption=caption,
            content=content,
            fields=_media_fields(self, content),
            reply_to=reply_to,
        )
        if text is not None:
            msg.text, msg.raw_text, msg.entities = text, text, entities
        return {"message_id": msg.message_id}

    async def _forward_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._target(params)
        source = self._source(params, "forward")
        original = self.message_json(source)
        content = {k: copy.deepcopy(original[k]) for k in CONTENT_KEYS if k in original}
        text = content.pop("text", None)
        entities = content.pop("entities", [])
        caption_text = content.pop("caption", None)
        caption_entities = content.pop("caption_entities", [])
        self._rate_check(chat)
        msg = self._create(
            "forwardMessage", chat, params, content=content, fields=_media_fields(self, content)
        )
        if text is not None:
            msg.text, msg.raw_text, msg.entities = text, text, entities
        if caption_text is not None:
            msg.caption, msg.raw_caption = caption_text, caption_text
            msg.caption_entities = caption_entities
        msg.reply_markup = None
        msg.forward_origin = {
            "type": "user",
            "sender_user": original["from"],
            "date": original["date"],
        }
        return self.message_json(msg)

    # -------------------------------------------------------------------------------- editing

    def _editable(self, params: dict[str, Any]) -> tuple[_Chat, BotMessage]:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self._chat(params["chat_id"])
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        if isinstance(msg, UserMessage):
            raise bad_request("message can't be edited")
        return chat, msg

    def _apply_edit(
        self,
        method: str,
        chat: _Chat,
        msg: BotMessage,
        params: dict[str, Any],
        change: Callable[[], None],
    ) -> Any:
        before = msg.snapshot()
        saved_media = (msg.photo, msg.document, msg.document_name)
        change()
        after = msg.snapshot()
        try:
            if _comparable(before) == _comparable(after):
                raise bad_request(_NOT_MODIFIED)
            self._rate_check(chat, per_chat=False)
        except ApiError:
            for key, value in before.items():
                setattr(msg, key, value)
            msg.photo, msg.document, msg.document_name = saved_media
            raise
        msg.edit_date = int(time.time())
        edit = MessageEdit(method, params, before, after, self._bump())
        msg.edits.append(edit)
        chat.log.append(edit)
        return self.message_json(msg)

    async def _edit_message_text(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat, msg = self._editable(params)
        if "text" not in params:
            raise bad_request("message text is empty")
        if msg.text is None:
            raise bad_request("there is no text in the message to edit")
        formatted = self._format(params["text"], params.get("parse_mode"), params.get("entities"))
        if not formatted.text:
            raise bad_request("message text is empty")

        def change() -> None:
            msg.text, msg.raw_text, msg.entities = (
                formatted.text,
                params["text"],
                formatted.entities,
            )
            msg.parse_mode = params.get("parse_mode")
            msg.reply_markup = params.get("reply_markup")

        return self._apply_edit("editMessageText", chat, msg, params, change)

    async def _edit_message_caption(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat, msg = self._editable(params)
        if not msg.content or msg.text is not None or "location" in msg.content:
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption(params) or FormattedText("", [])

        def change() -> None:
            msg.caption = caption.text or None
            msg.caption_entities = caption.entities
            msg.raw_caption = params.get("caption")
            msg.parse_mode = params.get("parse_mode")
            msg.reply_markup = params.get("reply_markup")

        return self._apply_edit("editMessageCaption", chat, msg, params, change)

    async def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat, msg = self._editable(params)

        def change() -> None:
            msg.reply_markup = params.get("reply_markup")

        return self._apply_edit("editMessageReplyMarkup", chat, msg, params, change)

    async def _edit_message_media(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat, msg = self._editable(params)
        media = params["media"]
        kind = media["type"]
        if kind not in _MEDIA_KINDS:
            raise bad_request(f'can\'t parse InputMedia: unsupported type "{kind}"')
        if "location" in msg.content or "venue" in msg.content:
            raise bad_request("message can't be edited")
        same = (kind == "photo" and media["media"] == msg.photo_file_id) or (
            kind != "photo" and media["media"] == msg.content.get(kind, {}).get("file_id")
        )
        content, fields = (
            (copy.deepcopy(msg.content), {})
            if same
            else self._media_content(kind, media["media"], files)
        )
        caption = None
        if "caption" in media:
            caption = self._format(
                media["caption"], media.get("parse_mode"), media.get("caption_entities")
            )

        def change() -> None:
            msg.text = msg.raw_text = None
            msg.entities = []
            msg.content = content
            media_keys = ("photo", "photo_file_id", "document", "document_file_id")
            for key in (*media_keys, "document_name", "mime_type"):
                setattr(msg, key, fields.get(key, getattr(msg, key) if same else None))
            msg.caption = caption.text if caption and caption.text else None
            msg.caption_entities = caption.entities if caption else []
            msg.raw_caption = media.get("caption")
            msg.parse_mode = media.get("parse_mode")
            msg.reply_markup = params.get("reply_markup")

        return self._apply_edit("editMessageMedia", chat, msg, params, change)

    # ----------------------------------------------------------------------------- transcript

    def _describe(self, event: Any, name: str) -> list[str]:
        if isinstance(event, UserMessage):
            return [f"  #{event.message_id} {name}: {_describe_user_message(event.data)}"]
        if isinstance(event, BotMessage):
            flags = []
            if event.edits:
                flags.append(f"edited {len(event.edits)}x")
            if event.deleted:
                flags.append("deleted")
            suffix = f"  ({', '.join(flags)})" if flags else ""
            lines = [f"  #{event.message_id} bot [{event.method}]: {_describe_bot(event)}{suffix}"]
            lines.extend(_describe_markup(event.reply_markup))
            return lines
        if isinstance(event, CallbackPress):
            answer = "unanswered"
            if event.answer is not None:
                shown = {k: v for k, v in event.answer.items() if k != "callback_query_id"}
                answer = f"answered {shown}" if shown else "answered"
            label = f'"{event.button_text}" ' if event.button_text else ""
            return [
                f"  {name} pressed {label}on #{event.message_id} (data={event.data!r}) -> {answer}"
            ]
        if isinstance(event, MessageEdit):
            after = event.after
            shown = [repr(after["text"])] if after["text"] is not None else []
            shown += [f"[{k}]" for k in after["content"]]
            shown += [repr(after["caption"])] if after["caption"] else []
            lines = [f"  bot {event.method} #{event.params.get('message_id')}: {' '.join(shown)}"]
            lines.extend(_describe_markup(after["reply_markup"], indent="      "))
            return lines
        if isinstance(event, ChatAction):
            return [f"  ... bot is {event.action}"]
        if isinstance(event, RejectedCall):
            return [f"  !! {event.method} refused: {event.status} {event.description}"]
        if isinstance(event, tuple) and event[0] == "deleted":
            return [f"  bot deleted #{event[1]}"]
        return [f"  {event!r}"]


# ---------------------------------------------------------------------------------- helpers


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters from the query string and a JSON / urlencoded / multipart body."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.body_exists:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON encoded request body must be an object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(
                    key, value.filename, value.content_type, value.file.read()
                )
            else:
                params[key] = value
    return params, files


def _error_response(exc: ApiError) -> web.Response:
    return web.json_response(exc.payload(), status=exc.status)


def _creates_message(method: str) -> bool:
    """Whether a call creates chat messages (and so counts toward the sending limits)."""
    if method in ("copyMessage", "forwardMessage", "copyMessages", "forwardMessages"):
        return True
    return method.startswith("send") and method not in _NOT_MESSAGES


def _update_type(update: dict[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


def _location(params: dict[str, Any]) -> dict[str, Any]:
    lat, lng = params["latitude"], params["longitude"]
    if not -90 <= lat <= 90 or not -180 <= lng <= 180:
        raise bad_request("wrong location specified")
    return {"latitude": lat, "longitude": lng}


def _media_fields(fake: FakeTelegram, content: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "photo" in content:
        file_id = content["photo"][-1]["file_id"]
        stored = fake.files.get(file_id)
        fields.update(photo=stored.data if stored else None, photo_file_id=file_id)
    if "document" in content:
        doc = content["document"]
        stored = fake.files.get(doc["file_id"])
        fields.update(
            document=stored.data if stored else None,
            document_file_id=doc["file_id"],
            document_name=doc.get("file_name"),
            mime_type=doc.get("mime_type"),
        )
    return fields


def _comparable(state: dict[str, Any]) -> tuple[Any, ...]:
    return (
        state["text"],
        state["entities"],
        state["caption"],
        state["caption_entities"],
        state["reply_markup"],
        state["content"],
    )


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG image, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None


def _describe_user_message(data: dict[str, Any]) -> str:
    if "text" in data:
        return repr(data["text"])
    caption = f" {data['caption']!r}" if data.get("caption") else ""
    if "photo" in data:
        return f"[photo {data['photo'][-1].get('file_size', 0)} bytes]{caption}"
    if "document" in data:
        doc = data["document"]
        return f"[document {doc.get('file_name')} {doc.get('file_size', 0)} bytes]{caption}"
    if "venue" in data:
        venue = data["venue"]
        return f"[venue {venue['title']!r}, {venue['address']!r}]"
    if "location" in data:
        loc = data["location"]
        return f"[location {loc['latitude']}, {loc['longitude']}]"
    if "contact" in data:
        contact = data["contact"]
        return f"[contact {contact['phone_number']} {contact.get('first_name', '')}]"
    if "sticker" in data:
        return f"[sticker {data['sticker'].get('emoji', '')}]"
    return f"[{', '.join(k for k in data if k not in ('message_id', 'from', 'chat', 'date'))}]"


def _describe_bot(msg: BotMessage) -> str:
    parts = []
    if msg.text is not None:
        parts.append(repr(msg.text))
    if "photo" in msg.content:
        parts.append(f"[photo {msg.photo_file_id}]")
    if "document" in msg.content:
        parts.append(f"[document {msg.document_name or msg.document_file_id}]")
    if msg.venue:
        parts.append(f"[venue {msg.venue['title']!r}, {msg.venue['address']!r}]")
    elif msg.location:
        parts.append(f"[location {msg.location['latitude']}, {msg.location['longitude']}]")
    if msg.caption:
        parts.append(repr(msg.caption))
    return " ".join(parts) or "[" + ", ".join(msg.content) + "]"


def _describe_markup(markup: dict[str, Any] | None, indent: str = "      ") -> list[str]:
    if not markup:
        return []
    if "inline_keyboard" in markup:
        rows = []
        for row in markup["inline_keyboard"]:
            cells = []
            for b in row:
                action = next(((k, v) for k, v in b.items() if k != "text"), ("", ""))
                cells.append(f"[{b['text']} | {action[0]}={action[1]!r}]")
            rows.append(indent + " ".join(cells))
        return rows
    if "keyboard" in markup:
        return [
            indent
            + "keyboard: "
            + " ".join(f"<{b['text'] if isinstance(b, dict) else b}>" for b in row)
            for row in markup["keyboard"]
        ]
    if markup.get("remove_keyboard"):
        return [indent + "(keyboard removed)"]
    if markup.get("force_reply"):
        return [indent + "(force reply)"]
    return []


@contextlib.asynccontextmanager
async def fake_telegram(**kwargs: Any) -> AsyncIterator[FakeTelegram]:
    """``async with fake_telegram(...) as fake``: a started :class:`FakeTelegram`.

    Usable directly from a pytest-asyncio fixture::

        @pytest_asyncio.fixture
        async def telegram():
            async with fake_telegram() as fake:
                yield fake
    """
    fake = FakeTelegram(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
