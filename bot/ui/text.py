"""Every message fits Telegram's limits by construction.

Telegram refuses a message text over 4,096 characters and a caption over 1,024, counted after it
has parsed the HTML (tags gone, `&lt;` one character). A screen that holds what merchants and
customers typed can exceed that with every field within its own limit, so screens are built as
`Block`s of `Line`s and `fit` gives way in a fixed order when the whole is too long:

1. the user's words marked shortenable (`cut(...)`) are shortened, all to one common length,
   never below their floor, ending in "…";
2. droppable blocks are left out, highest `drop` rank first and the last one first, and a note
   says how many (`more=`);
3. as a last resort `cut_html` cuts the markup itself (logged: a screen should never need it).

`cut_html` and `shorten` never cut inside a tag or an entity, never split a character (nor a
letter from its combining marks, nor an emoji sequence), and close the tags left open.

Lengths are counted in UTF-16 code units: entity offsets are UTF-16, and an emoji counts two;
where Telegram counts code points instead, a text that fits in units fits all the more.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.formatting import h

log = logging.getLogger(__name__)

TEXT_MAX = 4096
CAPTION_MAX = 1024
#: A button's pop-up answer (answerCallbackQuery).
ALERT_MAX = 200
ELLIPSIS = "…"

_TAG = re.compile(r"<[^<>]*>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_TOKEN = re.compile(r"<[^<>]*>|&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);|[^<&]|[<&]", re.S)
_TAG_NAME = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9-]*)")
_ZWJ = "\u200d"


# ------------------------------------------------------------------------------ measuring


def units(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def visible(markup: str) -> str:
    """The text Telegram shows for HTML markup: tags removed, entities decoded."""
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), _TAG.sub("", markup))


def measure(markup: str) -> int:
    """How long Telegram finds HTML markup (after parsing, surrounding whitespace trimmed)."""
    return units(visible(markup).strip())


# ------------------------------------------------------------------------------- cutting


def _joins(text: str, i: int) -> bool:
    """Whether text[i] belongs to the character drawn before it (a cut at i would split it)."""
    c, before = text[i], text[i - 1]
    code = ord(c)
    if unicodedata.category(c) in ("Mn", "Mc", "Me") or c == _ZWJ or before == _ZWJ:
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:  # skin tones, emoji tags
        return True
    if _regional(c) and _regional(before):  # flags are pairs of regional indicators
        run = 0
        while i - 1 - run >= 0 and _regional(text[i - 1 - run]):
            run += 1
        return run % 2 == 1
    return False


def _regional(c: str) -> bool:
    return 0x1F1E6 <= ord(c) <= 0x1F1FF


def _boundary(text: str, i: int) -> int:
    """The nearest cut at or before i that splits no character (0 if there is none)."""
    while 0 < i < len(text) and _joins(text, i):
        i -= 1
    return i


def _prefix_end(text: str, budget: int) -> int:
    """The longest prefix of `text` within `budget` units, ending at a character boundary."""
    used = 0
    for i, c in enumerate(text):
        used += 2 if ord(c) > 0xFFFF else 1
        if used > budget:
            return _boundary(text, i)
    return len(text)


def shorten(text: str, limit: int) -> str:
    """Plain text in at most `limit` units: whole, or cut between characters with "…"."""
    if units(text) <= limit:
        return text
    if limit < units(ELLIPSIS):
        return ""
    return text[: _prefix_end(text, limit - units(ELLIPSIS))].rstrip() + ELLIPSIS


def cut_html(markup: str, limit: int) -> str:
    """HTML markup shown in at most `limit` units: cut at a character boundary outside tags and
    entities, "…" added, and the tags still open closed."""
    if measure(markup) <= limit:
        return markup
    tokens = _TOKEN.findall(markup)
    shown = "".join(_shown(token) for token in tokens)
    budget = limit - units(ELLIPSIS)
    keep = _boundary(shown, _prefix_end(shown, budget)) if budget > 0 else 0
    while keep and shown[keep - 1].isspace():
        keep -= 1
    out: list[str] = []
    open_tags: list[str] = []
    seen = 0
    for token in tokens:
        if token.startswith("<") and len(token) > 1:
            if token.startswith("</"):
                if open_tags:
                    open_tags.pop()
            elif (name := _TAG_NAME.match(token)) is not None:
                open_tags.append(name.group(1).lower())
            out.append(token)
            continue
        if seen >= keep:
            break
        out.append(token)
        seen += len(_shown(token))
    while out and out[-1].startswith("<") and not out[-1].startswith("</") and len(out[-1]) > 1:
        out.pop()  # a tag opened right at the cut holds nothing
        open_tags.pop()
    return "".join(out) + ELLIPSIS + "".join(f"</{name}>" for name in reversed(open_tags))


def _shown(token: str) -> str:
    if token.startswith("<") and len(token) > 1:
        return ""
    if token.startswith("&") and len(token) > 1:
        return html.unescape(token)
    return token


def fit_html(markup: str, limit: int = TEXT_MAX) -> str:
    """Any HTML message within `limit`: unchanged when it fits, else cut (and logged, since a
    screen built from blocks should have given way before)."""
    if measure(markup) <= limit:
        return markup
    log.warning("message of %d units cut to %d", measure(markup), limit)
    return cut_html(markup, limit)


def fit_message(text: str, parse_mode: str | None, limit: int = TEXT_MAX) -> str:
    """A message in its parse mode (HTML or plain text) within `limit`."""
    if parse_mode is not None and parse_mode.lower() == "html":
        return fit_html(text, limit)
    if parse_mode:  # Markdown is not used by this bot; leave it to Telegram
        return text
    trimmed = text.strip()
    if units(trimmed) <= limit:
        return text
    log.warning("plain message of %d units cut to %d", units(trimmed), limit)
    return shorten(trimmed, limit)


# ------------------------------------------------------------------------------- screens


@dataclass(frozen=True)
class Line:
    """One line of a screen: markup, then (optionally) a user's words, then markup.

    `text` is plain (escaped here). With a `floor` it may be shortened down to that many units
    when the screen is too long; `name` reports it in `Fitted.cut` when that happens."""

    markup: str = ""
    text: str = ""
    end: str = ""
    floor: int | None = None
    name: str = ""

    def render(self, size: int | None = None) -> str:
        words = self.text if size is None else shorten(self.text, size)
        return f"{self.markup}{h(words)}{self.end}"


def cut(text: str, floor: int, *, markup: str = "", end: str = "", name: str = "") -> Line:
    """A line of someone's words that may be shortened down to `floor` units."""
    return Line(markup, text, end, floor, name)


@dataclass(frozen=True)
class Block:
    """Lines that stay or go together. `drop` 0: always shown; higher ranks are left out
    first (the last block of a rank first)."""

    lines: tuple[Line, ...]
    drop: int = 0


def block(*lines: Line | str, drop: int = 0) -> Block:
    """A block from lines (a str is fixed markup)."""
    return Block(tuple(Line(x) if isinstance(x, str) else x for x in lines), drop)


def blocks(lines: Iterable[Line | str]) -> list[Block]:
    """Fixed lines, each a block that always stays."""
    return [block(x) for x in lines]


@dataclass(frozen=True)
class Fitted:
    """A screen that fits: its HTML, the names of the lines shortened, how many blocks were
    left out, and whether anything was."""

    html: str
    cut: frozenset[str] = frozenset()
    dropped: int = 0
    complete: bool = True


def fit(
    parts: Sequence[Block],
    limit: int = TEXT_MAX,
    *,
    more: Callable[[int], str] | None = None,
) -> Fitted:
    """The screen as HTML within `limit` (see the module's docstring for the order things give
    way in). `more(n)` renders the note standing where the first of n left-out blocks stood."""
    order = sorted(
        (i for i, p in enumerate(parts) if p.drop > 0), key=lambda i: (-parts[i].drop, -i)
    )

    def attempt(left_out: int) -> tuple[list[int], list[Line], str, list[int | None] | None]:
        gone = set(order[:left_out])
        kept = [i for i in range(len(parts)) if i not in gone]
        lines = [line for i in kept for line in parts[i].lines]
        note = more(left_out) if more and left_out else ""
        budget = limit - (units(visible(note)) + 1 if note else 0)
        return kept, lines, note, _sizes(lines, budget)

    kept, lines, note, sizes = attempt(0)
    if sizes is None and order:  # the fewest blocks left out that let the rest fit
        low, high = 1, len(order)
        while low < high:
            middle = (low + high) // 2
            if attempt(middle)[3] is None:
                low = middle + 1
            else:
                high = middle
        kept, lines, note, sizes = attempt(low)
    if sizes is None:  # even the floors do not fit: floors, then the last resort below
        sizes = [
            line.floor if line.floor is not None and units(line.text) > line.floor else None
            for line in lines
        ]
    rendered, shortened = _render(parts, set(kept), sizes, note)
    dropped = len(parts) - len(kept)
    out = fit_html(rendered, limit)
    complete = not shortened and not dropped and out == rendered
    return Fitted(out, frozenset(n for n in shortened if n), dropped, complete)


def _sizes(lines: Sequence[Line], budget: int) -> list[int | None] | None:
    """The length each line's words get (None: whole) so that all fit `budget`: one common cap,
    as long as possible, never below a line's floor. None when even the floors do not fit."""
    fixed = max(len(lines) - 1, 0)
    lengths: list[int] = []
    for line in lines:
        fixed += units(visible(line.markup)) + units(visible(line.end))
        lengths.append(units(line.text))

    def size(i: int, cap: int) -> int:
        floor = lines[i].floor
        return lengths[i] if floor is None else min(lengths[i], max(floor, cap))

    def total(cap: int) -> int:
        return fixed + sum(size(i, cap) for i in range(len(lines)))

    longest = max(lengths, default=0)
    if total(longest) <= budget:
        return [None] * len(lines)
    if total(0) > budget:
        return None
    low, high = 0, longest  # the largest common cap that fits
    while low < high:
        mid = (low + high + 1) // 2
        if total(mid) <= budget:
            low = mid
        else:
            high = mid - 1
    return [None if size(i, low) >= lengths[i] else size(i, low) for i in range(len(lines))]


def _render(
    parts: Sequence[Block], kept: set[int], sizes: Sequence[int | None], note: str
) -> tuple[str, list[str]]:
    out: list[str] = []
    shortened: list[str] = []
    sizes_left = iter(sizes)
    noted = False
    for i, part in enumerate(parts):
        if i not in kept:
            if note and not noted:
                out.append(note)
                noted = True
            continue
        for line in part.lines:
            size = next(sizes_left)
            if size is not None:
                shortened.append(line.name)
            out.append(line.render(size))
    return "\n".join(out), shortened


def pages(
    parts: Sequence[Block], limit: int = TEXT_MAX, *, most: int | None = None
) -> list[list[Block]]:
    """Blocks packed in order into pages that each fit `limit` (with at most `most` droppable
    blocks per page when given); a block too long for any page gets a page of its own, where
    `fit` shortens it."""
    result: list[list[Block]] = []
    page: list[Block] = []
    used = 0
    for part in parts:
        size = sum(units(visible(line.render())) + 1 for line in part.lines)
        counted = sum(1 for b in page if b.drop)
        full = most is not None and part.drop and counted >= most
        if page and (used + size > limit or full):
            result.append(page)
            page, used = [], 0
        page.append(part)
        used += size
    if page or not result:
        result.append(page)
    return result
