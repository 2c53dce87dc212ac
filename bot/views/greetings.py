"""How greetings look on the bot's side: the "no more greetings from <shop>" buttons under every
greeting (outbox payload buttons, labels in every language, since the outbox renders each
recipient's message at send time), their undo, and /settings' switch for all shops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton

from bot.i18n import LANGUAGES, t
from bot.ui.buttons.greetings import AllGreetings, ResumeGreetings, StopGreetings
from bot.ui.text import shorten

#: A shop's name in a button keeps at most this many characters (the button stays one line).
BUTTON_NAME_MAX = 24


def stop_label(lang: str, shop_name: str) -> str:
    """Button text is plain (no HTML): the name as it is, shortened."""
    return t(lang, "greetingsui.stop_button", shop=shorten(shop_name, BUTTON_NAME_MAX))


def stop_button(shop_id: int, shop_name: str) -> dict[str, Any]:
    """One payload button: "🔕 No more greetings from <shop>"."""
    return {
        "text": {lang: stop_label(lang, shop_name) for lang in LANGUAGES},
        "callback_data": StopGreetings(shop_id=shop_id).pack(),
    }


def greeting_buttons(shops: Sequence[tuple[int, str]]) -> list[list[dict[str, Any]]]:
    """The rows under a greeting (a bundle names several shops): one stop button per shop."""
    return [[stop_button(shop_id, name)] for shop_id, name in shops]


def resume_button(lang: str, shop_id: int, shop_name: str) -> InlineKeyboardButton:
    """After stopping: undo."""
    name = shorten(shop_name, BUTTON_NAME_MAX)
    return InlineKeyboardButton(
        t(lang, "greetingsui.resume_button", shop=name),
        callback_data=ResumeGreetings(shop_id=shop_id).pack(),
    )


def all_greetings_button(lang: str, *, receives: bool) -> tuple[str, AllGreetings]:
    """/settings: the current state; pressing switches it."""
    key = "greetingsui.settings_on" if receives else "greetingsui.settings_off"
    return t(lang, key), AllGreetings(on=not receives)
