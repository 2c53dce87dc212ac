"""Translation catalogues: gettext `.po` files under `bot/locales/<lang>/LC_MESSAGES/`.

Message ids are stable keys (`nearby.empty`), so handlers never hold user-visible text and every
language has a full catalogue. All `.po` files of a language are merged, so each feature keeps
its own file. A text that shows a number of things is a gettext plural entry (the key as both
`msgid` and `msgid_plural`, one `msgstr[n]` per form); `t(lang, key, count=n)` picks the form
with the catalogue's `Plural-Forms` (English: one/other; Chinese: a single form).

Which languages users see comes from `config.yaml` (`languages`, `fallback_language`), handed
over once by the composition root (`configure`). A Telegram `language_code` maps to a catalogue
like this (script before region, as in IETF tags):

    zh-hant, zh-tw, zh-hk, zh-mo (and zh-hant-*)   → zh_Hant (Traditional)
    zh, zh-hans, zh-cn, zh-sg (and other zh-*)      → zh_Hans (Simplified)
    en, en-us, …                                    → en

A Chinese reader whose script is not configured gets the other Chinese script; any other
language not configured (or none reported) gets `fallback_language`.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent / "locales"
#: Every language with a catalogue (buttons typed back in any of them are understood).
LANGUAGES: tuple[str, ...] = tuple(
    sorted(p.name for p in LOCALES.iterdir() if (p / "LC_MESSAGES").is_dir())
)
#: The complete catalogue every other one is checked against, and the last resort for a text.
FALLBACK = "en"

_TRADITIONAL_HINTS = frozenset(("hant", "tw", "hk", "mo"))


@dataclass(frozen=True)
class Plural:
    """A plural entry: one text per form and the rule choosing the form for a count."""

    forms: tuple[str, ...]
    rule: Callable[[int], int]

    def select(self, count: int) -> str:
        return self.forms[min(self.rule(count), len(self.forms) - 1)]


Entry = str | Plural


@cache
def catalogue(lang: str) -> dict[str, Entry]:
    """All messages of one language, merged from every `.po` file."""
    messages: dict[str, Entry] = {}
    for po in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        rule = gettext.c2py(catalog.plural_expr)
        for msg in catalog:
            if not msg.id or not msg.string:
                continue
            if isinstance(msg.id, tuple):
                forms = tuple(str(s) for s in msg.string)
                if len(forms) != catalog.num_plurals or not all(forms):
                    raise ValueError(
                        f"{po}: {msg.id[0]!r} needs {catalog.num_plurals} plural forms "
                        "(is the Plural-Forms header right?)"
                    )
                messages[str(msg.id[0])] = Plural(forms, rule)
            else:
                messages[str(msg.id)] = str(msg.string)
    return messages


def _text_chain(lang: str) -> tuple[str, ...]:
    """Where a missing text is looked up: the language, its sibling script, then English."""
    chain = [lang]
    if lang.startswith("zh_"):
        chain += [other for other in ("zh_Hans", "zh_Hant") if other != lang]
    return (*chain, FALLBACK)


def t(lang: str | None, key: str, /, **params: Any) -> str:
    """The text for `key` in `lang`, formatted with `params`; a plural entry picks its form by
    `count` (an int). Missing texts fall back to the other Chinese script, then English."""
    entry = None
    for candidate in _text_chain(lang or FALLBACK):
        entry = catalogue(candidate).get(key) if candidate in LANGUAGES else None
        if entry is not None:
            break
    if entry is None:
        raise KeyError(f"missing translation {key!r}")
    if isinstance(entry, Plural):
        count = params.get("count")
        if not isinstance(count, int):
            raise TypeError(f"{key!r} is a plural text: pass count=<int>")
        entry = entry.select(count)
    return entry.format(**params) if params else entry


def has(key: str) -> bool:
    return key in catalogue(FALLBACK)


# ------------------------------------------------------------------ configured languages


@dataclass(frozen=True)
class Offered:
    """The languages users may have (config order) and the one for everybody else."""

    languages: tuple[str, ...]
    fallback: str


_offered = Offered(LANGUAGES, FALLBACK)


def configure(languages: Iterable[str], fallback: str) -> None:
    """Offer only these languages (from config); an unknown one is a deployment error."""
    global _offered
    chosen = tuple(dict.fromkeys(languages))
    unknown = [lang for lang in (*chosen, fallback) if lang not in LANGUAGES]
    if not chosen or unknown:
        raise ValueError(f"languages {unknown or '[]'} have no catalogue; known: {LANGUAGES}")
    _offered = Offered(chosen, fallback if fallback in chosen else chosen[0])


def offered() -> Offered:
    return _offered


def language_for(telegram_code: str | None) -> str:
    """The configured catalogue for a Telegram `language_code` (see the module docstring)."""
    return _best(_preferences(telegram_code))


def usable(lang: str) -> str:
    """`lang` if still offered, else the nearest offered one (a deployer removed it)."""
    return lang if lang in _offered.languages else _best(_preferences(lang.replace("_", "-")))


def _preferences(telegram_code: str | None) -> list[str]:
    parts = (telegram_code or "").lower().replace("_", "-").split("-")
    if parts[0] == "zh":
        subtags = set(parts[1:])
        traditional = "hant" in subtags or ("hans" not in subtags and subtags & _TRADITIONAL_HINTS)
        return ["zh_Hant", "zh_Hans"] if traditional else ["zh_Hans", "zh_Hant"]
    return [lang for lang in LANGUAGES if lang.split("_")[0].lower() == parts[0]]


def _best(preferences: list[str]) -> str:
    return next((lang for lang in preferences if lang in _offered.languages), _offered.fallback)
