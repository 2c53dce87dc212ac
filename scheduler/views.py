"""What timed jobs need from the bot layer, passed in by the composition root (bot/app.py).

Jobs decide what is due from the database and the clock; whatever touches Telegram (the words
and buttons of a message, editing messages already sent) is one of these callbacks, implemented
next to the feature it belongs to. So no job imports telegram, and unit tests pass recorders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.models import Promotion
from bot.services.care import SurveyDue
from bot.services.coupons import WalletItem
from bot.services.greetings import ButtonRows, no_buttons

#: A coupon's expiry reminder as an outbox payload (texts per language, a button to the card).
ReminderPayload = Callable[[WalletItem], Mapping[str, Any]]
#: "How was your visit?" as an outbox payload (texts per language, one button per score).
SurveyPayload = Callable[[SurveyDue], Mapping[str, Any]]
#: After a flash deal ended (once): edit its pushed messages, tell the merchant; the reason is
#: `time` or `sold_out`.
AnnounceFlashEnd = Callable[[Promotion, str], Awaitable[None]]
#: A card spend request expired unanswered (its id): close it in the staff's and the
#: customer's chats.
SpendLapsed = Callable[[int], Awaitable[None]]


async def _nothing(_: int) -> None:
    """No Telegram side (unit tests of other jobs)."""


@dataclass(frozen=True)
class Views:
    """The bot layer's side of timed work."""

    #: New outbox rows are waiting: wake the sender rather than let it find them later.
    wake_sender: Callable[[], None]
    reminder_payload: ReminderPayload
    announce_flash_end: AnnounceFlashEnd
    survey_payload: SurveyPayload
    spend_lapsed: SpendLapsed = _nothing
    #: The buttons under a greeting: each granted gift, "no more greetings from <shop>".
    greeting_buttons: ButtonRows = no_buttons
