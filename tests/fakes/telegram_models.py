"""Records kept by the fake Telegram server: messages, edits, button presses, files, errors."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BotMessage",
    "CallbackPress",
    "ChatAction",
    "MessageEdit",
    "RejectedCall",
    "StoredFile",
    "UserMessage",
]

# Content keys of a Message JSON object that copyMessage/forwardMessage carry over.
CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "sticker",
    "location",
    "venue",
    "contact",
    "animation",
    "audio",
    "video",
    "voice",
)


@dataclass
class StoredFile:
    """A file the fake knows: uploaded by the bot, sent by a test user, or referenced by URL."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes | None
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes (0 when only a URL is known)."""
        return len(self.data or b"")


@dataclass
class MessageEdit:
    """One successful edit of a bot message: the call and the message state around it."""

    method: str
    params: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    seq: int


@dataclass(eq=False)
class BotMessage:
    """A message the bot sent (sendX, copyMessage, forwardMessage), kept up to date on edits.

    ``text``/``caption`` are the plain texts users see (parse-mode markup removed, entities
    unescaped); ``raw_text``/``raw_caption`` are what the bot sent. ``photo``/``document`` hold
    the bytes when known (uploaded, or a file_id of a file the fake holds); the ``*_file_id``
    fields are always set for media. ``content`` is the Message-JSON media part (photo sizes,
    document, location, venue, ...). ``edits`` lists every edit in order; ``deleted`` is set by
    deleteMessage.
    """

    message_id: int
    chat_id: int
    method: str
    date: int
    seq: int
    params: dict[str, Any] = field(repr=False)
    text: str | None = None
    raw_text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list, repr=False)
    caption: str | None = None
    raw_caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list, repr=False)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo: bytes | None = field(default=None, repr=False)
    photo_file_id: str | None = None
    document: bytes | None = field(default=None, repr=False)
    document_file_id: str | None = None
    document_name: str | None = None
    mime_type: str | None = None
    location: dict[str, Any] | None = None
    venue: dict[str, Any] | None = None
    content: dict[str, Any] = field(default_factory=dict, repr=False)
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    forward_origin: dict[str, Any] | None = field(default=None, repr=False)
    edit_date: int | None = None
    edits: list[MessageEdit] = field(default_factory=list, repr=False)
    deleted: bool = False
    chat_type: str = "private"

    @property
    def body(self) -> str:
        """The visible text: ``text``, else ``caption``, else an empty string."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Rows of inline keyboard buttons (empty unless an inline keyboard is attached)."""
        markup = self.reply_markup or {}
        return [list(row) for row in markup.get("inline_keyboard", [])]

    @property
    def button_texts(self) -> list[str]:
        """Texts of all inline buttons, row by row."""
        return [b["text"] for row in self.buttons for b in row]

    @property
    def callback_data(self) -> list[str]:
        """callback_data of all inline callback buttons, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Button texts of a ReplyKeyboardMarkup sent with this message, else None."""
        markup = self.reply_markup or {}
        if "keyboard" not in markup:
            return None
        return [
            [b["text"] if isinstance(b, dict) else str(b) for b in row]
            for row in markup["keyboard"]
        ]

    def find_button(
        self, text: str | None = None, data: str | None = None
    ) -> dict[str, Any] | None:
        """The first inline button whose text and/or callback_data match exactly."""
        for row in self.buttons:
            for button in row:
                if text is not None and button.get("text") != text:
                    continue
                if data is not None and button.get("callback_data") != data:
                    continue
                return button
        return None

    def snapshot(self) -> dict[str, Any]:
        """The editable state (text, caption, markup, media) as a deep-copied dict."""
        return copy.deepcopy(
            {
                "text": self.text,
                "raw_text": self.raw_text,
                "entities": self.entities,
                "caption": self.caption,
                "raw_caption": self.raw_caption,
                "caption_entities": self.caption_entities,
                "parse_mode": self.parse_mode,
                "reply_markup": self.reply_markup,
                "photo_file_id": self.photo_file_id,
                "document_file_id": self.document_file_id,
                "content": self.content,
            }
        )


@dataclass(eq=False)
class UserMessage:
    """A message a test user sent to the bot (the Message JSON that was delivered)."""

    message_id: int
    chat_id: int
    seq: int
    data: dict[str, Any]
    deleted: bool = False

    @property
    def text(self) -> str | None:
        """Text or caption of the message."""
        return self.data.get("text", self.data.get("caption"))


@dataclass
class CallbackPress:
    """A callback_query a test user produced; ``answer`` is the answerCallbackQuery params."""

    query_id: str
    chat_id: int
    message_id: int
    data: str
    button_text: str | None
    seq: int
    answer: dict[str, Any] | None = None


@dataclass
class ChatAction:
    """A sendChatAction call (``typing``, ``upload_photo``, ...)."""

    chat_id: int
    action: str
    seq: int


@dataclass
class RejectedCall:
    """A request the fake refused (HTTP status >= 400)."""

    method: str
    params: dict[str, Any]
    status: int
    description: str
    chat_id: int | None
    seq: int
    retry_after: int | None = None
