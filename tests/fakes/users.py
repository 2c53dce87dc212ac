"""Test users of the fake Telegram server: they send updates and wait for the bot's answers.

Every action (:meth:`FakeUser.send`, :meth:`FakeUser.press`, ...) queues a realistic update and
moves the user's watermark, so :meth:`FakeUser.reply` returns the first bot message sent after
it. Waiting never sleeps: it wakes whenever the fake records something, and fails with an
AssertionError carrying the chat transcript on timeout.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tests.fakes.telegram_markup import utf16_len
from tests.fakes.telegram_models import BotMessage, CallbackPress, UserMessage

if TYPE_CHECKING:
    from tests.fakes.telegram import FakeTelegram

__all__ = ["FakeUser"]

T = TypeVar("T")

# A tiny valid WEBP header, enough for a plausible sticker file.
_STICKER_BYTES = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00"
    b"\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)


class FakeUser:
    """A Telegram user talking to the bot in a private chat (chat id == user id)."""

    chat_type = "private"

    def __init__(self, fake: FakeTelegram, data: dict[str, Any]) -> None:
        self.fake = fake
        self.data = data
        self.id: int = data["id"]
        self.chat_id: int = data["id"]
        self.sent: list[UserMessage] = []
        self._watermark = 0
        self._last_press: CallbackPress | None = None

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

    @property
    def first_name(self) -> str:
        """The user's first name."""
        return self.data["first_name"]

    @property
    def username(self) -> str | None:
        """The user's @username (without @), if any."""
        return self.data.get("username")

    @property
    def language_code(self) -> str | None:
        """The user's client language."""
        return self.data.get("language_code")

    # ------------------------------------------------------------------------------- actions

    async def send(self, text: str, *, reply_to: BotMessage | int | None = None) -> UserMessage:
        """Send a text message; a leading ``/command`` gets a ``bot_command`` entity."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/") and len(text) > 1:
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self._message(content, reply_to=reply_to)

    async def share_location(self, latitude: float, longitude: float) -> UserMessage:
        """Share a (static) location."""
        return self._message({"location": {"latitude": latitude, "longitude": longitude}})

    async def share_venue(
        self, latitude: float, longitude: float, title: str, address: str
    ) -> UserMessage:
        """Share a venue (the message carries ``venue`` and, like Telegram, ``location``)."""
        location = {"latitude": latitude, "longitude": longitude}
        venue = {"location": dict(location), "title": title, "address": address}
        return self._message({"venue": venue, "location": location})

    async def share_contact(
        self,
        phone_number: str,
        user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> UserMessage:
        """Share a contact; by default the user's own (as the request_contact button does)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.id if user_id is None else user_id,
        }
        if last_name:
            contact["last_name"] = last_name
        return self._message({"contact": contact})

    async def send_photo(self, data: bytes, caption: str | None = None) -> UserMessage:
        """Send a photo; the bytes become downloadable via getFile (several PhotoSizes)."""
        content: dict[str, Any] = {"photo": self.fake.photo_sizes(data)}
        if caption:
            content["caption"] = caption
        return self._message(content)

    async def send_document(
        self,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> UserMessage:
        """Send a file as a document; downloadable via getFile."""
        stored = self.fake.store_file(data, "document", file_name=file_name, mime_type=mime_type)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": stored.size,
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._message(content)

    async def send_sticker(self, emoji: str = "👍") -> UserMessage:
        """Send a sticker (neither text nor photo)."""
        stored = self.fake.store_file(_STICKER_BYTES, "sticker", mime_type="image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return self._message({"sticker": sticker})

    async def edit(self, message: UserMessage, text: str) -> UserMessage:
        """Edit one of this user's text messages (Telegram sends an ``edited_message``)."""
        return self._edited(message, {"text": text})

    async def move_live_location(
        self, message: UserMessage, latitude: float, longitude: float
    ) -> UserMessage:
        """A live location moving: Telegram delivers each move as an ``edited_message``."""
        location = {"latitude": latitude, "longitude": longitude, "live_period": 900}
        return self._edited(message, {"location": location})

    async def press(
        self, message: BotMessage | int, text: str | None = None, data: str | None = None
    ) -> CallbackPress:
        """Press the inline button with this text and/or callback_data on a bot message.

        Raises:
            AssertionError: no such callback button on the (current, undeleted) message.
        """
        if text is None and data is None:
            raise ValueError("press() needs text= or data=")
        msg = self._bot_message(message)
        if msg.deleted:
            raise AssertionError(f"message #{msg.message_id} was deleted\n{self.transcript()}")
        button = msg.find_button(text=text, data=data)
        if button is None:
            raise AssertionError(
                f"no inline button text={text!r} data={data!r} on message #{msg.message_id}; "
                f"buttons: {msg.buttons}\n{self.transcript()}"
            )
        if "callback_data" not in button:
            raise AssertionError(f"button {button['text']!r} is not a callback button: {button}")
        return self._press(msg.message_id, button["callback_data"], button["text"])

    async def press_data(self, message_id: int, data: str) -> CallbackPress:
        """Send a callback query with arbitrary (possibly forged) data for a message id."""
        return self._press(message_id, data, None)

    def block(self) -> None:
        """Block the bot (sending to this user now fails with 403)."""
        self.fake.block(self.id)

    def unblock(self) -> None:
        """Unblock the bot."""
        self.fake.unblock(self.id)

    # ------------------------------------------------------------------------------- waiting

    async def reply(self, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109
        """The next bot message in this chat after the last action (or the last reply)."""
        return (await self.replies(1, timeout=timeout))[0]

    async def replies(self, n: int, timeout: float = 5.0) -> list[BotMessage]:  # noqa: ASYNC109
        """The next ``n`` bot messages in this chat after the last action."""
        watermark = self._watermark

        def fresh() -> list[BotMessage]:
            return [m for m in self.fake.chat_messages(self.chat_id) if m.seq > watermark]

        try:
            got = await self.fake._wait(lambda: len(fresh()) >= n and fresh()[:n], timeout)
        except TimeoutError:
            raise AssertionError(
                f"expected {n} bot message(s) within {timeout}s, got {len(fresh())}\n"
                f"{self.transcript()}"
            ) from None
        self._watermark = got[-1].seq
        return got

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy; AssertionError with the transcript on timeout."""
        try:
            return await self.fake._wait(predicate, timeout)
        except TimeoutError:
            raise AssertionError(
                f"condition not met within {timeout}s\n{self.transcript()}"
            ) from None

    async def callback_answer(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The answerCallbackQuery params for the last press (waits for the answer)."""
        press = self._last_press
        if press is None:
            raise AssertionError("no button was pressed yet")
        try:
            return await self.fake._wait(lambda: press.answer, timeout)
        except TimeoutError:
            raise AssertionError(
                f"callback query {press.query_id} (data={press.data!r}) was not answered "
                f"within {timeout}s\n{self.transcript()}"
            ) from None

    # --------------------------------------------------------------------------------- views

    @property
    def inbox(self) -> list[BotMessage]:
        """All bot messages in this chat, oldest first (deleted ones included, flagged)."""
        return self.fake.chat_messages(self.chat_id)

    @property
    def last(self) -> BotMessage | None:
        """The latest bot message in this chat that was not deleted."""
        alive = [m for m in self.inbox if not m.deleted]
        return alive[-1] if alive else None

    @property
    def keyboard(self) -> list[list[str]] | None:
        """The reply keyboard currently shown (None if none or removed)."""
        for msg in reversed(self.inbox):
            markup = msg.reply_markup or {}
            if "keyboard" in markup:
                return msg.reply_keyboard
            if markup.get("remove_keyboard"):
                return None
        return None

    def transcript(self) -> str:
        """Readable history of this chat, for failure messages."""
        return self.fake.transcript(self.chat_id)

    # ----------------------------------------------------------------------------- internals

    def _bot_message(self, message: BotMessage | int) -> BotMessage:
        if isinstance(message, BotMessage):
            return message
        for msg in self.inbox:
            if msg.message_id == message:
                return msg
        raise AssertionError(f"no bot message #{message} in chat {self.chat_id}")

    def _message(
        self, content: dict[str, Any], *, reply_to: BotMessage | int | None = None
    ) -> UserMessage:
        fake = self.fake
        chat = fake._chat_state(self.chat_id)
        data: dict[str, Any] = {
            "message_id": fake._new_message_id(chat),
            "from": dict(self.data),
            "chat": chat.json(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            target_id = reply_to.message_id if isinstance(reply_to, BotMessage) else reply_to
            target = chat.messages.get(target_id)
            if target is not None:
                data["reply_to_message"] = fake.message_json(target, nested=True)
        data.update(content)
        msg = UserMessage(data["message_id"], self.chat_id, fake._bump(), data)
        chat.messages[msg.message_id] = msg
        chat.log.append(msg)
        self.sent.append(msg)
        fake.enqueue_update({"message": data})
        self._watermark = fake._seq
        return msg

    def _edited(self, message: UserMessage, content: dict[str, Any]) -> UserMessage:
        """The message with new content and an ``edit_date``, delivered as an edit."""
        fake = self.fake
        data = {**message.data, **content, "edit_date": int(time.time())}
        data.pop("entities", None)
        text = content.get("text", "")
        if text.startswith("/") and len(text) > 1:
            command = text.split(maxsplit=1)[0]
            data["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        message.data = data
        fake.enqueue_update({"edited_message": data})
        self._watermark = fake._seq
        return message

    def _press(self, message_id: int, data: str, button_text: str | None) -> CallbackPress:
        fake = self.fake
        chat = fake._chat_state(self.chat_id)
        query_id = str(secrets.randbits(62))
        query: dict[str, Any] = {
            "id": query_id,
            "from": dict(self.data),
            "chat_instance": chat.chat_instance,
            "data": data,
        }
        target = chat.messages.get(message_id)
        if target is not None and not target.deleted:
            query["message"] = fake.message_json(target)
        else:
            query["message"] = {"chat": chat.json(), "message_id": message_id, "date": 0}
        press = CallbackPress(query_id, self.chat_id, message_id, data, button_text, fake._bump())
        fake.presses[query_id] = press
        chat.log.append(press)
        fake.enqueue_update({"callback_query": query})
        self._watermark = fake._seq
        self._last_press = press
        return press
