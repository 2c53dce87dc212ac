"""Reading a six-digit PIN (a card's consumption password) from a chat message.

The message holding it is deleted at once, valid or not, so it does not stay in the chat's
history. The PIN goes back to the caller only: never into user_data, chat_data or a draft (they
are pickled to the persistence file), never into a log (python-telegram-bot's debug records of
updates are masked by bot/logging_setup.py; the error handler logs no exception messages).

A PIN typed twice (setting or changing one) is compared through `PendingPins`: process memory
(bot_data, which is not persisted), holding a keyed digest rather than the PIN, forgotten after a
few minutes. After a restart the person is simply asked again from the first entry.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from telegram import Message, Update
from telegram.error import TelegramError

from bot import clock
from bot.services.numbers import ascii_digits
from bot.ui.base import Context

log = logging.getLogger(__name__)

PIN_LENGTH = 6
#: How long the first of two entries waits for the second.
PENDING_FOR = timedelta(minutes=10)
_BOT_DATA_KEY = "pending_pins"


def parse_pin(text: str) -> str | None:
    """Six ASCII digits from what was typed (full-width digits are folded, spaces around
    allowed), or None."""
    folded = ascii_digits(text).strip()
    ok = len(folded) == PIN_LENGTH and folded.isascii() and folded.isdigit()
    return folded if ok else None


async def take_pin(update: Update) -> str | None:
    """Delete the update's message at once, then return the PIN it held (None if it held
    none: another text, a sticker, a photo...)."""
    message = update.message
    if message is None:
        return None
    text = message.text or ""
    await delete_now(message)
    return parse_pin(text)


async def delete_now(message: Message) -> None:
    """Delete a message holding a secret; if Telegram refuses (too old, not allowed), say so
    in the log by type only."""
    try:
        await message.delete()
    except TelegramError as exc:
        log.warning("secret message not deleted (%s)", type(exc).__name__)


@dataclass
class PendingPins:
    """First entries of PINs asked twice, as keyed digests in memory: (user, purpose) → digest.

    The key is random per process, so a digest means nothing outside it."""

    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _held: dict[tuple[int, str], tuple[bytes, datetime]] = field(default_factory=dict)

    def _digest(self, pin: str) -> bytes:
        return hmac.new(self._key, pin.encode(), hashlib.sha256).digest()

    def hold(self, user_id: int, purpose: str, pin: str, now: datetime) -> None:
        self._forget_old(now)
        self._held[(user_id, purpose)] = (self._digest(pin), now + PENDING_FOR)

    def matches(self, user_id: int, purpose: str, pin: str, now: datetime) -> bool | None:
        """Whether `pin` repeats the first entry (which is then forgotten either way); None
        when there is none (expired, or the bot restarted)."""
        self._forget_old(now)
        held = self._held.pop((user_id, purpose), None)
        if held is None:
            return None
        return hmac.compare_digest(held[0], self._digest(pin))

    def drop(self, user_id: int, purpose: str) -> None:
        self._held.pop((user_id, purpose), None)

    def _forget_old(self, now: datetime) -> None:
        for key in [k for k, (_, until) in self._held.items() if until <= now]:
            del self._held[key]


def pending_pins(context: Context) -> PendingPins:
    """The process's pending first entries (bot_data is never persisted: see bot/app.py)."""
    store = context.application.bot_data.get(_BOT_DATA_KEY)
    if store is None:
        store = context.application.bot_data[_BOT_DATA_KEY] = PendingPins()
    return store


async def take_first_pin(update: Update, context: Context, purpose: str) -> bool:
    """A new PIN's first entry (setting or changing one): deleted, held for the second; False
    when the message held no PIN."""
    pin = await take_pin(update)
    if pin is None:
        return False
    pending_pins(context).hold(context.user.id, purpose, pin, clock.now())
    return True


async def take_second_pin(
    update: Update, context: Context, purpose: str
) -> tuple[str | None, Literal["same", "start_over", "mismatch"]]:
    """The second entry, deleted and compared with the first: (the PIN, "same") when they
    match; (None, "start_over") when the first is gone (expired, restart); (None, "mismatch")
    otherwise (a wrong or no PIN). The first entry is forgotten either way."""
    pin = await take_pin(update)
    same = pending_pins(context).matches(context.user.id, purpose, pin or "", clock.now())
    if same is None:
        return None, "start_over"
    if not same or pin is None:
        return None, "mismatch"
    return pin, "same"
