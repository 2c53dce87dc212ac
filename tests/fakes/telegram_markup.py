"""Telegram formatting (HTML, MarkdownV2, Markdown) turned into plain text plus entities.

Telegram counts a message's length after it has parsed the formatting, and it refuses malformed
markup with ``Bad Request: can't parse entities: ...``. This module reproduces that closely enough
for a fake server: tags/markers are removed, HTML entities unescaped, entity offsets counted in
UTF-16 code units, and the usual mistakes (unknown HTML tag, unclosed tag, unescaped reserved
MarkdownV2 character) raise :class:`EntityParseError` with Telegram's wording.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EntityParseError",
    "FormattedText",
    "UnsupportedParseModeError",
    "parse_formatted",
    "utf16_len",
]


class EntityParseError(ValueError):
    """Raised for markup Telegram would refuse; ``str(exc)`` is Telegram's detail text."""


class UnsupportedParseModeError(EntityParseError):
    """Raised for a ``parse_mode`` Telegram does not know."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram measures entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FormattedText:
    """Result of parsing: the plain text users see and the entities Telegram would attach."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-emoji": "custom_emoji",
    "blockquote": "blockquote",
    "tg-time": "date_time",
}
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


class _Builder:
    """Accumulates plain text and tracks UTF-16 offsets for entities."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_len(text)

    def entity(
        self, kind: str, start: int, *, trailing_newline: bool = False, **extra: Any
    ) -> None:
        length = self.offset - start - (1 if trailing_newline else 0)
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> FormattedText:
        return _trimmed("".join(self.parts), self.entities)


def _trimmed(text: str, entities: list[dict[str, Any]]) -> FormattedText:
    """Strip surrounding whitespace like Telegram does, shifting/clipping entities."""
    stripped = text.strip()
    if not stripped:
        return FormattedText("", [])
    head = utf16_len(text[: len(text) - len(text.lstrip())])
    end = head + utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for ent in entities:
        start = max(ent["offset"], head)
        stop = min(ent["offset"] + ent["length"], end)
        if stop > start:
            kept.append({**ent, "offset": start - head, "length": stop - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return FormattedText(stripped, kept)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _parse_html(source: str) -> FormattedText:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            match = re.match(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);", source[i:])
            if match:
                out.add(html.unescape(match.group(0)))
                i += len(match.group(0))
            else:
                out.add("&")
                i += 1
            continue
        if ch != "<":
            out.add(ch)
            i += 1
            continue
        close = source.find(">", i)
        if close < 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(source, i)}")
        body = source[i + 1 : close]
        if body.startswith("/"):
            name = body[1:].strip().lower()
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(source, i)}"
                )
            top, start, attrs = stack.pop()
            if name != top:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                    f'expected "</{top}>", found "</{name}>"'
                )
            _close_html_entity(out, top, start, attrs, stack)
            i = close + 1
            continue
        name_match = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", body)
        name = name_match.group(0).lower() if name_match else ""
        if name not in _HTML_TAGS:
            shown = name_match.group(0) if name_match else body.split(" ")[0]
            raise EntityParseError(
                f'Unsupported start tag "{shown}" at byte offset {_byte_offset(source, i)}'
            )
        attrs: dict[str, str] = {}
        rest = body[len(name) :]
        for attr in _ATTR_RE.finditer(rest):
            if attr.group(1):
                value = attr.group(2) or attr.group(3) or attr.group(4) or ""
                attrs[attr.group(1).lower()] = html.unescape(value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        stack.append((name, out.offset, attrs))
        i = close + 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html_entity(
    out: _Builder,
    tag: str,
    start: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str]]],
) -> None:
    kind = _HTML_TAGS[tag]
    if tag == "a":
        href = attrs.get("href", "")
        match = re.match(r"tg://user\?id=(\d+)$", href)
        if match:
            out.entity("text_mention", start, user={"id": int(match.group(1))})
        elif href:
            out.entity("text_link", start, url=href)
        return
    if tag == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language.removeprefix("language-")
            return
    if tag == "pre" and attrs.get("language"):
        out.entity("pre", start, language=attrs["language"])
        return
    if tag == "blockquote" and "expandable" in attrs:
        out.entity("expandable_blockquote", start)
        return
    if tag == "tg-emoji":
        out.entity("custom_emoji", start, custom_emoji_id=attrs.get("emoji-id", ""))
        return
    out.entity(kind, start)


_MDV2_MARKERS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def _parse_markdown_v2(source: str) -> FormattedText:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (marker, utf16 start, source index)
    quote_start: int | None = None
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        at_line_start = i == 0 or source[i - 1] == "\n"
        if at_line_start and quote_start is not None and ch != ">":
            out.entity("blockquote", quote_start, trailing_newline=True)
            quote_start = None
        if ch == "\\":
            if i + 1 >= n or not 0 < ord(source[i + 1]) < 127:
                raise EntityParseError(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(source[i + 1])
            i += 2
            continue
        if ch == "`":
            i = _mdv2_code(source, i, out)
            continue
        if at_line_start and ch == ">":
            if quote_start is None:
                quote_start = out.offset
            i += 1
            continue
        two = source[i : i + 2]
        marker = two if two in ("__", "||") else ch
        if marker in _MDV2_MARKERS:
            open_index = next((k for k, s in enumerate(stack) if s[0] == marker), None)
            if open_index is None:
                stack.append((marker, out.offset, i))
            else:
                _, start, _ = stack.pop(open_index)
                out.entity(_MDV2_MARKERS[marker], start)
            i += len(marker)
            continue
        if ch == "[" or two == "![":
            stack.append(("[", out.offset, i))
            i += 2 if two == "![" else 1
            continue
        if ch == "]" and any(s[0] == "[" for s in stack):
            k = max(k for k, s in enumerate(stack) if s[0] == "[")
            _, start, src = stack.pop(k)
            if not source.startswith("(", i + 1):
                raise EntityParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            url, i = _mdv2_url(source, i + 2)
            if source[src] == "!":
                emoji_id = url.partition("id=")[2]
                out.entity("custom_emoji", start, custom_emoji_id=emoji_id)
            else:
                out.entity("text_link", start, url=url)
            continue
        if ch in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(ch)
        i += 1
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        where = _byte_offset(source, stack[-1][2])
        raise EntityParseError(f"Can't find end of the entity starting at byte offset {where}")
    return out.result()


def _mdv2_code(source: str, i: int, out: _Builder) -> int:
    """Parse `code` or ```pre``` starting at ``i``; return the index after it."""
    fence = "```" if source.startswith("```", i) else "`"
    j = i + len(fence)
    language = ""
    if fence == "```":
        newline = source.find("\n", j)
        first_line = source[j:newline] if newline >= 0 else ""
        if newline >= 0 and first_line and not any(c.isspace() for c in first_line):
            language = first_line
            j = newline + 1
    start = out.offset
    while j < len(source):
        if source[j] == "\\" and j + 1 < len(source) and source[j + 1] in "`\\":
            out.add(source[j + 1])
            j += 2
            continue
        if source.startswith(fence, j):
            if fence == "```":
                out.entity("pre", start, **({"language": language} if language else {}))
            else:
                out.entity("code", start)
            return j + len(fence)
        out.add(source[j])
        j += 1
    raise EntityParseError(
        f"Can't find end of the entity starting at byte offset {_byte_offset(source, i)}"
    )


def _mdv2_url(source: str, j: int) -> tuple[str, int]:
    """Read a link target up to the closing ``)``; return it and the index after it."""
    url: list[str] = []
    while j < len(source):
        c = source[j]
        if c == "\\" and j + 1 < len(source):
            url.append(source[j + 1])
            j += 2
            continue
        if c == ")":
            return "".join(url), j + 1
        url.append(c)
        j += 1
    raise EntityParseError("Can't find end of a URL")


def _parse_markdown(source: str) -> FormattedText:
    """Legacy ``Markdown``: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    out = _Builder()
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
            continue
        if ch in "*_`":
            fence = "```" if source.startswith("```", i) else ch
            end = source.find(fence, i + len(fence))
            if end < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            start = out.offset
            out.add(source[i + len(fence) : end])
            kind = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}[fence]
            out.entity(kind, start)
            i = end + len(fence)
            continue
        if ch == "[":
            match = re.match(r"\[([^\]]*)\]\(([^)]*)\)", source[i:])
            if match:
                start = out.offset
                out.add(match.group(1))
                out.entity("text_link", start, url=match.group(2))
                i += len(match.group(0))
                continue
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(source, i)}"
            )
        out.add(ch)
        i += 1
    return out.result()


def parse_formatted(text: str, parse_mode: str | None) -> FormattedText:
    """Parse ``text`` in ``parse_mode`` (case-insensitive; None/empty means plain text).

    Raises:
        EntityParseError: for markup Telegram refuses (message is the part after
            ``can't parse entities: ``).
    """
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return _trimmed(text, [])
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise UnsupportedParseModeError(f'unsupported parse_mode "{parse_mode}"')
