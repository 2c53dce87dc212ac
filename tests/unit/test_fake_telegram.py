"""The fake Telegram Bot API server, driven by a real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import re
import struct
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.ptb import PollingBot, application_builder, fake_bot, polling
from tests.fakes.telegram import FakeTelegram, ManualClock, fake_telegram

ANN = 42


def ci(text: str) -> re.Pattern[str]:
    """Case-insensitive literal pattern: PTB re-capitalises Telegram's error descriptions."""
    return re.compile(re.escape(text), re.IGNORECASE)


def png(width: int, height: int) -> bytes:
    """A valid PNG of the given size (grey pixels)."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def build_app(fake: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    """A tiny bot: echo, an inline menu with answered callbacks, and a photo size reporter."""
    app = application_builder(fake).build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Yes", callback_data="yes"),
                    InlineKeyboardButton("No", callback_data="no"),
                ]
            ]
        )
        await update.message.reply_text("<b>Pick</b> one", parse_mode="HTML", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"you chose {query.data}")
        await query.edit_message_text(f"Chosen: {query.data}")

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        file = await update.message.photo[-1].get_file()
        data = await file.download_as_bytearray()
        await update.message.reply_text(f"got {len(data)} bytes")

    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest_asyncio.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[PollingBot]:
    async with polling(build_app(fake), allowed_updates=Update.ALL_TYPES) as running:
        yield running
    running.raise_errors()


async def api(fake: FakeTelegram, method: str, **params: Any) -> httpx.Response:
    """A raw Bot API call (JSON body) to the fake."""
    async with httpx.AsyncClient() as client:
        return await client.post(f"{fake.api_url}/{method}", json=params)


@pytest.mark.asyncio
async def test_echo_roundtrip(fake: FakeTelegram, bot: PollingBot) -> None:
    ann = fake.user(ANN, first_name="Ann", username="ann")

    sent = await ann.send("hello <there> & more")
    reply = await ann.reply()

    assert reply.text == "hello <there> & more"
    assert reply.chat_id == ANN
    assert reply.message_id == sent.message_id + 1  # one counter per chat, shared
    assert [m for m, _ in fake.calls[:2]] == ["getMe", "deleteWebhook"]
    assert "getUpdates" in [m for m, _ in fake.calls]
    assert ann.inbox == [reply]
    assert "Ann: 'hello <there> & more'" in ann.transcript()
    fake.assert_no_errors()


@pytest.mark.asyncio
async def test_inline_button_press_is_answered_and_message_edited(
    fake: FakeTelegram, bot: PollingBot
) -> None:
    ann = fake.user(ANN)

    await ann.send("/menu")
    menu = await ann.reply()
    assert menu.text == "Pick one"  # HTML tags stripped
    assert menu.raw_text == "<b>Pick</b> one"
    assert menu.entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert menu.button_texts == ["Yes", "No"]

    press = await ann.press(menu, text="Yes")
    answer = await ann.callback_answer()
    assert answer["text"] == "you chose yes"
    await ann.wait_for(lambda: menu.edits)
    assert menu.text == "Chosen: yes"
    assert menu.buttons == []  # editMessageText without reply_markup drops the keyboard
    assert menu.edits[0].before["text"] == "Pick one"

    # A query can be answered once only.
    async with fake_bot(fake) as raw_bot:
        with pytest.raises(BadRequest, match=ci("query is too old")):
            await raw_bot.answer_callback_query(press.query_id)

    with pytest.raises(AssertionError, match=ci("no inline button")):
        await ann.press(menu, text="Maybe")
    assert [(e.method, e.status) for e in fake.errors] == [("answerCallbackQuery", 400)]


@pytest.mark.asyncio
async def test_photo_upload_download_both_ways(fake: FakeTelegram, bot: PollingBot) -> None:
    ann = fake.user(ANN)
    picture = png(640, 480)

    message = await ann.send_photo(picture, caption="my cat")
    sizes = message.data["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 68), (320, 240), (640, 480)]
    reply = await ann.reply()
    assert reply.text == f"got {len(picture)} bytes"

    # The bot uploads a photo: bytes are kept, and it can be fetched back via getFile.
    async with fake_bot(fake) as raw_bot:
        sent = await raw_bot.send_photo(
            ANN, photo=picture, caption="<i>back</i>", parse_mode="HTML"
        )
        stored = ann.last
        assert stored is not None
        assert stored.photo == picture
        assert stored.caption == "back"
        assert stored.photo_file_id == sent.photo[-1].file_id
        file = await raw_bot.get_file(sent.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == picture
        # Re-sending by file_id keeps the same photo; an unknown file_id is refused.
        again = await raw_bot.send_photo(ANN, photo=sent.photo[-1].file_id)
        assert again.photo[-1].file_id == sent.photo[-1].file_id
        with pytest.raises(BadRequest, match=ci("wrong file identifier")):
            await raw_bot.send_photo(ANN, photo="no-such-file")


@pytest.mark.asyncio
async def test_text_limits_counted_after_entity_parsing(fake: FakeTelegram) -> None:
    fake.user(ANN)
    async with fake_bot(fake) as raw_bot:
        with pytest.raises(BadRequest, match=ci("message is too long")):
            await raw_bot.send_message(ANN, "x" * 4097)
        with pytest.raises(BadRequest, match=ci("message text is empty")):
            await raw_bot.send_message(ANN, "<b> </b>", parse_mode="HTML")
        ok = await raw_bot.send_message(ANN, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
        assert len(ok.text) == 4096
        with pytest.raises(BadRequest, match=ci('unsupported start tag "br"')):
            await raw_bot.send_message(ANN, "a<br>b", parse_mode="HTML")
        with pytest.raises(BadRequest, match=ci("Character '.' is reserved")):
            await raw_bot.send_message(ANN, "Done.", parse_mode="MarkdownV2")
        md = await raw_bot.send_message(
            ANN, "*Done*\\. [site](https://e.x)", parse_mode="MarkdownV2"
        )
        assert md.text == "Done. site"
        with pytest.raises(BadRequest, match=ci("message caption is too long")):
            await raw_bot.send_photo(ANN, photo=png(2, 2), caption="c" * 1025)
    assert fake.errors[0].description == "Bad Request: message is too long"


@pytest.mark.asyncio
async def test_callback_data_over_64_bytes_is_refused(fake: FakeTelegram) -> None:
    fake.user(ANN)
    fits = "a" * 62 + "é"  # 63 characters, 64 bytes
    too_long = "a" * 63 + "é"  # 64 characters, 65 bytes
    async with fake_bot(fake) as raw_bot:
        good = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data=fits)]])
        await raw_bot.send_message(ANN, "fits", reply_markup=good)
        bad = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data=too_long)]])
        with pytest.raises(BadRequest, match=ci("BUTTON_DATA_INVALID")):
            await raw_bot.send_message(ANN, "too long", reply_markup=bad)
    assert [m.text for m in fake.chat_messages(ANN)] == ["fits"]


@pytest.mark.asyncio
async def test_raw_http_errors_have_telegram_shape(fake: FakeTelegram) -> None:
    fake.user(ANN)

    unknown = await api(fake, "sendTelepathy", chat_id=ANN)
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    missing = await api(fake, "sendMessage", chat_id=ANN)
    assert missing.status_code == 400
    assert missing.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: parameter text is required",
    }

    extra = await api(fake, "sendMessage", chat_id=ANN, text="hi", colour="red")
    assert extra.json()["description"] == "Bad Request: unknown parameter colour"

    # PTB's Defaults(parse_mode=...) send it where a method has none; Telegram ignores it.
    venue = await api(
        fake,
        "sendVenue",
        chat_id=ANN,
        latitude=1,
        longitude=2,
        title="t",
        address="a",
        parse_mode="HTML",
    )
    assert venue.json()["ok"] is True

    async with httpx.AsyncClient() as client:
        wrong_token = await client.get(f"{fake.base_url}123:WRONG/getMe")
        # Method names are case-insensitive; form-encoded values are strings.
        ok = await client.post(
            f"{fake.api_url}/SENDMESSAGE", data={"chat_id": str(ANN), "text": "x"}
        )
    assert wrong_token.status_code == 401
    assert wrong_token.json()["description"] == "Unauthorized"
    assert ok.json()["ok"] is True
    assert ok.json()["result"]["from"]["username"] == "TestShopBot"


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_sending_too_fast_in_one_chat_gets_429() -> None:
    clock = ManualClock()
    async with fake_telegram(per_chat_rate=1.0, per_chat_burst=3, clock=clock) as fake:
        fake.user(ANN)
        fake.user(7)
        async with fake_bot(fake) as raw_bot:
            first = [await raw_bot.send_message(ANN, f"m{i}") for i in range(3)]
            with pytest.raises(RetryAfter):
                await raw_bot.send_message(ANN, "one too many")
            await raw_bot.send_message(7, "other chats are not affected")
            # Edits only count toward the global budget.
            await raw_bot.edit_message_text("edited", chat_id=ANN, message_id=first[0].message_id)
            clock.advance(1.0)
            await raw_bot.send_message(ANN, "after a second")

        assert fake.throttle_count == 1
        assert fake.throttled[0].retry_after == 1
        assert fake.throttled[0].description == "Too Many Requests: retry after 1"
        raw = await api(fake, "sendMessage", chat_id=ANN, text="again")
        assert raw.status_code == 429
        assert raw.json()["parameters"] == {"retry_after": 1}


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_global_rate_limit() -> None:
    async with fake_telegram(global_rate=2, per_chat_rate=None, clock=ManualClock()) as fake:
        for user_id in (1, 2, 3):
            fake.user(user_id)
        async with fake_bot(fake) as raw_bot:
            await raw_bot.send_message(1, "a")
            await raw_bot.send_message(2, "b")
            with pytest.raises(RetryAfter):
                await raw_bot.send_message(3, "c")
        assert fake.throttle_count == 1


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_flood_wait_lasts_its_retry_after() -> None:
    clock = ManualClock()
    async with fake_telegram(global_rate=None, per_chat_burst=1, clock=clock) as fake:
        fake.user(ANN)
        fake.user(7)
        async with fake_bot(fake) as raw_bot:
            await raw_bot.send_message(ANN, "a")
            clock.advance(0.5)
            with pytest.raises(RetryAfter):
                await raw_bot.send_message(ANN, "too soon")  # retry after 1 s
            clock.advance(0.6)  # a token has accrued, but Telegram said 1 s
            with pytest.raises(RetryAfter):
                await raw_bot.send_message(ANN, "retried early")
            await raw_bot.send_message(7, "other chats are not held")
            clock.advance(0.4)
            await raw_bot.send_message(ANN, "after the wait")

            fake.flood_wait(7, 3)  # imposed by Telegram, e.g. on a chat that got too much
            with pytest.raises(RetryAfter):
                await raw_bot.send_message(7, "held")
        assert [(e.chat_id, e.retry_after) for e in fake.throttled] == [(ANN, 1), (ANN, 1), (7, 3)]


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_global_flood_wait_holds_every_chat() -> None:
    clock = ManualClock()
    async with fake_telegram(global_rate=2, per_chat_rate=None, clock=clock) as fake:
        for user_id in (1, 2, 3):
            fake.user(user_id)
        async with fake_bot(fake) as raw_bot:
            await raw_bot.send_message(1, "a")
            await raw_bot.send_message(2, "b")
            with pytest.raises(RetryAfter):
                await raw_bot.send_message(3, "c")  # retry after 1 s
            clock.advance(0.6)  # a token has accrued, but the bot's wait holds
            with pytest.raises(RetryAfter):
                await raw_bot.send_message(1, "anyone")
            clock.advance(0.4)
            await raw_bot.send_message(1, "after the wait")
        assert [e.chat_id for e in fake.throttled] == [3, 1]


@pytest.mark.asyncio
async def test_blocked_user_gets_403(fake: FakeTelegram) -> None:
    ann = fake.user(ANN)
    ann.block()
    async with fake_bot(fake) as raw_bot:
        with pytest.raises(Forbidden, match=ci("bot was blocked by the user")):
            await raw_bot.send_message(ANN, "anyone there?")
        raw = await api(fake, "sendMessage", chat_id=ANN, text="hi")
        assert raw.json() == {
            "ok": False,
            "error_code": 403,
            "description": "Forbidden: bot was blocked by the user",
        }
        ann.unblock()
        await raw_bot.send_message(ANN, "welcome back")
    assert [m.text for m in ann.inbox] == ["welcome back"]


@pytest.mark.asyncio
async def test_set_my_commands_scope_resolution(fake: FakeTelegram) -> None:
    fake.user(ANN, language_code="de")
    fake.user(7, language_code="ru")
    async with fake_bot(fake) as raw_bot:
        await raw_bot.set_my_commands([BotCommand("help", "Help")])
        await raw_bot.set_my_commands([BotCommand("spravka", "Help")], language_code="ru")
        await raw_bot.set_my_commands(
            [BotCommand("hilfe", "Hilfe")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code="de",
        )
        await raw_bot.set_my_commands(
            [BotCommand("admin", "Admin"), BotCommand("stats", "Stats")],
            scope=BotCommandScopeChat(ANN),
        )
        chat_scope = await raw_bot.get_my_commands(scope=BotCommandScopeChat(ANN))
        assert [c.command for c in chat_scope] == ["admin", "stats"]
        with pytest.raises(BadRequest, match=ci("BOT_COMMAND_INVALID")):
            await raw_bot.set_my_commands([BotCommand("Bad-Cmd", "nope")])
        with pytest.raises(BadRequest, match=ci("BOT_COMMANDS_TOO_MUCH")):
            await raw_bot.set_my_commands([BotCommand(f"c{i}", "x") for i in range(101)])

        assert fake.commands_for(ANN, "de") == ["admin", "stats"]  # chat scope wins
        assert fake.commands_for(7, "de") == ["hilfe"]  # all_private_chats + language
        assert fake.commands_for(7, "ru") == ["spravka"]  # falls through to default + ru
        assert fake.commands_for(7, "en") == ["help"]

        await raw_bot.delete_my_commands(scope=BotCommandScopeChat(ANN))
        assert fake.commands_for(ANN, "de") == ["hilfe"]


@pytest.mark.asyncio
async def test_long_poll_wakes_up_when_an_update_arrives(fake: FakeTelegram) -> None:
    ann = fake.user(ANN)
    async with httpx.AsyncClient(timeout=60) as client:
        started = time.monotonic()
        poll = asyncio.create_task(
            client.post(f"{fake.api_url}/getUpdates", data={"timeout": "30"})
        )
        await fake.wait_for(lambda: fake.calls_to("getUpdates"), timeout=5)
        assert not poll.done()
        await ann.send("ping")
        response = await asyncio.wait_for(poll, timeout=5)
        elapsed = time.monotonic() - started

        updates = response.json()["result"]
        assert [u["message"]["text"] for u in updates] == ["ping"]
        assert elapsed < 5  # woke up on the update, not after the 30 s timeout

        # Confirming with offset removes the update; an empty long poll waits its timeout.
        started = time.monotonic()
        empty = await client.post(
            f"{fake.api_url}/getUpdates",
            data={"offset": str(updates[-1]["update_id"] + 1), "timeout": "1"},
        )
        assert empty.json() == {"ok": True, "result": []}
        assert time.monotonic() - started >= 0.9


@pytest.mark.asyncio
async def test_user_updates_are_valid_for_ptb() -> None:
    async with fake_telegram(per_chat_burst=6) as fake:  # six quick replies, no rate limiter
        await _user_updates_are_valid_for_ptb(fake)


async def _user_updates_are_valid_for_ptb(fake: FakeTelegram) -> None:
    seen: list[Message] = []
    app = application_builder(fake).build()

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        seen.append(update.message)
        await update.message.reply_text(f"ok {len(seen)}")

    app.add_handler(MessageHandler(filters.ALL, record))
    ann = fake.user(ANN, first_name="Ann", username="ann")
    async with polling(app) as running:
        await ann.send("/start deep-link")
        await ann.share_location(52.52, 13.405)
        await ann.share_venue(52.5, 13.4, "Shop", "Main St 1")
        await ann.share_contact("+491701234567")
        await ann.send_document(b"%PDF-1.4", "invoice.pdf", "application/pdf")
        await ann.send_sticker()
        replies = await ann.replies(6)
    running.raise_errors()

    assert [r.text for r in replies] == [f"ok {i}" for i in range(1, 7)]
    command, location, venue, contact, document, sticker = seen
    assert command.text == "/start deep-link"
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
    assert location.location is not None and location.location.latitude == 52.52
    assert venue.venue is not None and venue.venue.title == "Shop" and venue.location is not None
    assert contact.contact is not None and contact.contact.user_id == ANN
    assert document.document is not None and document.document.file_name == "invoice.pdf"
    assert sticker.sticker is not None and sticker.photo == ()
    assert fake.file_bytes(document.document.file_id) == b"%PDF-1.4"


@pytest.mark.asyncio
async def test_edits_deletes_and_transcript(fake: FakeTelegram) -> None:
    ann = fake.user(ANN, first_name="Ann")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    async with fake_bot(fake) as raw_bot:
        sent = await raw_bot.send_message(ANN, "Hi", reply_markup=keyboard)
        with pytest.raises(BadRequest, match=ci("message is not modified")):
            await raw_bot.edit_message_text(
                "Hi", chat_id=ANN, message_id=sent.message_id, reply_markup=keyboard
            )
        with pytest.raises(BadRequest, match=ci("message to edit not found")):
            await raw_bot.edit_message_text("Hi", chat_id=ANN, message_id=999)
        await raw_bot.edit_message_reply_markup(chat_id=ANN, message_id=sent.message_id)
        await raw_bot.send_location(ANN, latitude=52.52, longitude=13.40)
        await raw_bot.send_venue(ANN, latitude=52.5, longitude=13.4, title="Shop", address="Main 1")
        await raw_bot.delete_message(ANN, sent.message_id)
        with pytest.raises(BadRequest, match=ci("message to delete not found")):
            await raw_bot.delete_message(ANN, sent.message_id)

    first, location, venue = ann.inbox
    assert first.deleted and first.reply_markup is None and len(first.edits) == 1
    assert location.location == {"latitude": 52.52, "longitude": 13.40}
    assert venue.venue is not None and venue.venue["title"] == "Shop"
    transcript = ann.transcript()
    assert "bot [sendMessage]: 'Hi'  (edited 1x, deleted)" in transcript
    assert "refused: 400 Bad Request: message to edit not found" in transcript

    assert await ann.replies(3) == ann.inbox  # nothing acted yet: replies start at the top
    with pytest.raises(AssertionError, match="expected 1 bot message") as failure:
        await ann.reply(timeout=0.05)
    assert "chat 42 (private) with Ann" in str(failure.value)
