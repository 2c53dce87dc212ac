"""Translation catalogues: gettext `.po` files under `bot/locales/<lang>/LC_MESSAGES/`.

Message ids are stable keys (`nearby.empty`), so handlers never hold user-visible text and every
language has a full catalogue. All `.po` files of a language are merged, so each feature keeps
its own file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("zh_Hans", "en")
FALLBACK = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, merged from every `.po` file."""
    messages: dict[str, str] = {}
    for po in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh):
                if msg.id and msg.string:
                    messages[str(msg.id)] = str(msg.string)
    return messages


def language_for(telegram_code: str | None) -> str:
    """Pick the catalogue for a Telegram `language_code` (zh, zh-hans, zh-CN → zh_Hans)."""
    if telegram_code and telegram_code.lower().startswith("zh"):
        return "zh_Hans"
    return "en" if telegram_code else FALLBACK


def t(lang: str | None, key: str, /, **params: Any) -> str:
    """The text for `key` in `lang`, formatted with `params`; falls back to English."""
    text = catalogue(lang or FALLBACK).get(key) or catalogue(FALLBACK).get(key)
    if text is None:
        raise KeyError(f"missing translation {key!r}")
    return text.format(**params) if params else text


def has(key: str) -> bool:
    return key in catalogue(FALLBACK)
