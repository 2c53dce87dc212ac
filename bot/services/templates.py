"""Per-recipient message text: a template filled at send time for one reader, in their language
and with their current name, so an outbox row queued days ago still greets "Ann" (not the name
she had then) in the language she uses now.

A template is either a catalogue key (trusted HTML written by us) or a shop's own text (typed by
a merchant: escaped as a whole, so it can never inject HTML). Placeholders are `{name}`-style;
the values are always escaped; a placeholder we do not know (`{foo}`, or a lone brace) stays as
typed. Telegram-free; the sender calls `render_text` for each row it sends.

Payload forms (next to the plain `text` form of bot.services.outbox)::

    {"template": "greetings.birthday", "params": {"shop": "Lao Wang"}}          # catalogue key
    {"template_text": "Happy birthday {name}! — {shop}", "params": {...}}     # a shop's text
    {"bundle": [<part>, <part>, ...]}   # several such parts (several shops) in one message

`{name}` is always the recipient's (params never need it). A part may carry `"gift"` (a coupon
title): a line under that part tells the reader it is waiting in their wallet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

from bot.i18n import t

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: Between two shops' greetings in one message.
BUNDLE_SEPARATOR = "\n\n"


def fill(template_html: str, params: Mapping[str, Any]) -> str:
    """Put escaped `params` into an HTML template's `{key}` placeholders; unknown ones stay."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in params:
            return match.group(0)
        return escape(str(params[key]), quote=False)

    return _PLACEHOLDER.sub(value, template_html)


def render_part(part: Mapping[str, Any], lang: str, name: str) -> str:
    """One template for one reader (`name`: their current name)."""
    params = {**(part.get("params") or {}), "name": name}
    if part.get("template"):
        text = fill(t(lang, str(part["template"])), params)
    else:
        text = fill(escape(str(part.get("template_text") or ""), quote=False), params)
    gift = part.get("gift")
    if gift:
        text += "\n" + fill(t(lang, "greetings.gift_line"), {"coupon": gift})
    return text


def is_templated(payload: Mapping[str, Any]) -> bool:
    return bool(payload.get("template") or payload.get("template_text") or payload.get("bundle"))


def render_text(payload: Mapping[str, Any], lang: str, name: str) -> str | None:
    """The payload's text for one reader, or None when it is not a templated payload."""
    if payload.get("bundle"):
        return BUNDLE_SEPARATOR.join(render_part(p, lang, name) for p in payload["bundle"])
    if payload.get("template") or payload.get("template_text"):
        return render_part(payload, lang, name)
    return None


def recipient_name(name: str | None, first_name: str | None, lang: str) -> str:
    """What a message calls its reader: the name from their profile, else Telegram's first
    name, else a friendly word."""
    for candidate in (name, first_name):
        if candidate and candidate.strip():
            return candidate.strip()
    return t(lang, "greetings.friend")
