"""How greetings look on the bot's side: the "no more greetings from <shop>" buttons under every
greeting (outbox payload buttons, labels in every language, since the outbox renders each
recipient's message at send time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import LANGUAGES, t
from bot.ui.buttons.greetings import StopGreetings
from bot.ui.text import shorten

#: A shop's name in a button keeps at most this many characters (the button stays one line).
BUTTON_NAME_MAX = 24


def stop_button(shop_id: int, shop_name: str) -> dict[str, Any]:
    """One payload button: "🔕 No more greetings from <shop>" (button text is plain, no HTML)."""
    name = shorten(shop_name, BUTTON_NAME_MAX)
    return {
        "text": {lang: t(lang, "greetingsui.stop_button", shop=name) for lang in LANGUAGES},
        "callback_data": StopGreetings(shop_id=shop_id).pack(),
    }


def greeting_buttons(shops: Sequence[tuple[int, str]]) -> list[list[dict[str, Any]]]:
    """The rows under a greeting (a bundle names several shops): one stop button per shop."""
    return [[stop_button(shop_id, name)] for shop_id, name in shops]
