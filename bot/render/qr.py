"""QR codes and the printable shop poster, drawn with Pillow.

Chinese needs a CJK font. The pip package `noto-cjk-sans-otc` (Noto Sans CJK, OFL) carries one,
so nothing outside pip is needed; a CJK font installed on the system is used when that package
is missing, and as a last resort Latin-only fonts (matplotlib's DejaVu Sans, Pillow's default).
`renders()` tells callers whether a text can be drawn, so they can pick another language instead
of printing empty boxes; letters the font lacks (emoji) are left out of the poster.
"""

from __future__ import annotations

import importlib.util
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_Q

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

#: A5 portrait at ~213 dpi: prints sharp on A5, still fine on A4.
POSTER_SIZE = (1240, 1748)
POSTER_DPI = (213, 213)
QUIET_MODULES = 4  # the white margin scanners need around a QR code

TEAL = (15, 118, 110)
PALE_TEAL = (204, 251, 241)
INK = (19, 78, 74)
GREY = (71, 85, 105)
WHITE = (255, 255, 255)

#: (path, face index): Noto's collection holds JP, KR, SC, ... faces; index 2 is Simplified.
_SYSTEM_CJK_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
_SYSTEM_LATIN_FONTS = (("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),)
#: Zero-width joiners and emoji variation selectors: invisible, and no font draws them alone.
_INVISIBLE = re.compile("[\u200d\ufe00-\ufe0f]")
#: Whitespace, a run of non-CJK letters (a word, a link), or one character (CJK breaks anywhere).
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+|.")


@dataclass(frozen=True)
class Poster:
    """The texts of a shop poster; the QR code encodes `link`."""

    title: str
    subtitle: str
    headline: str
    link: str
    footer: str = ""


def qr_png(data: str, *, module_px: int = 10) -> bytes:
    """A black-on-white QR code PNG with the standard quiet zone."""
    matrix = _qr_matrix(data)
    side = (len(matrix) + 2 * QUIET_MODULES) * module_px
    image = Image.new("L", (side, side), 255)
    _draw_modules(ImageDraw.Draw(image), matrix, (0, 0), module_px, 0)
    return _png(image)


def poster_png(poster: Poster) -> bytes:
    """A printable portrait poster: header with name and category, call to action, a large QR
    code, the link in print, and a footer hint."""
    width, height = POSTER_SIZE
    margin = 90
    inner = width - 2 * margin
    image = Image.new("RGB", POSTER_SIZE, WHITE)
    draw = ImageDraw.Draw(image)

    title_font, title_lines = _fit(poster.title, inner, 104, 52, max_lines=2)
    subtitle_font, subtitle_lines = _fit(poster.subtitle, inner, 48, 30, max_lines=1)
    header = 80 + _block_height(title_font, title_lines)
    header += (24 + _block_height(subtitle_font, subtitle_lines)) if subtitle_lines else 0
    header += 72
    draw.rectangle((0, 0, width, header), fill=TEAL)
    y = _draw_lines(draw, title_lines, title_font, 80, width, WHITE, bold=True)
    if subtitle_lines:
        _draw_lines(draw, subtitle_lines, subtitle_font, y + 24, width, PALE_TEAL)

    headline_font, headline_lines = _fit(poster.headline, inner, 64, 36, max_lines=2)
    y = _draw_lines(draw, headline_lines, headline_font, header + 64, width, INK, bold=True)

    footer_font, footer_lines = _fit(poster.footer, inner, 34, 24, max_lines=1)
    footer_top = height - (_block_height(footer_font, footer_lines) + 80 if footer_lines else 40)
    if footer_lines:
        draw.rectangle((0, footer_top, width, height), fill=PALE_TEAL)
        _draw_lines(draw, footer_lines, footer_font, footer_top + 40, width, TEAL)
    link_font, link_lines = _fit(poster.link, inner, 36, 22, max_lines=2)
    link_top = footer_top - 48 - _block_height(link_font, link_lines)
    _draw_lines(draw, link_lines, link_font, link_top, width, GREY)

    _draw_framed_qr(draw, poster.link, top=y + 48, bottom=link_top - 36, width=width)
    return _png(image, dpi=POSTER_DPI)


def renders(text: str) -> bool:
    """Whether the poster font draws every letter and digit of `text` (symbols such as emoji
    don't count: missing ones are simply left out)."""
    font = _font(32)
    return all(_has_glyph(font, ch) for ch in text if unicodedata.category(ch)[0] in "LN")


# --------------------------------------------------------------------------- QR code drawing


def _qr_matrix(data: str) -> list[list[bool]]:
    """Modules without border; level Q survives a smudged or partly covered print."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0, box_size=1)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _draw_modules(
    draw: ImageDraw.ImageDraw,
    matrix: list[list[bool]],
    origin: tuple[int, int],
    module_px: int,
    ink: int | tuple[int, int, int],
) -> None:
    """Dark modules as crisp squares, leaving QUIET_MODULES of background around them."""
    left, top = origin[0] + QUIET_MODULES * module_px, origin[1] + QUIET_MODULES * module_px
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                x, y = left + col * module_px, top + row * module_px
                draw.rectangle((x, y, x + module_px - 1, y + module_px - 1), fill=ink)


def _draw_framed_qr(
    draw: ImageDraw.ImageDraw, data: str, *, top: int, bottom: int, width: int
) -> None:
    """The biggest whole-pixel QR that fits between top and bottom, centred, in a frame."""
    matrix = _qr_matrix(data)
    modules = len(matrix) + 2 * QUIET_MODULES
    module_px = max(1, min(900, bottom - top, width - 200) // modules)
    side = modules * module_px
    x, y = (width - side) // 2, top + (bottom - top - side) // 2
    draw.rounded_rectangle(
        (x - 14, y - 14, x + side + 14, y + side + 14), 28, outline=TEAL, width=8
    )
    _draw_modules(draw, matrix, (x, y), module_px, (0, 0, 0))


# ------------------------------------------------------------------------------ text drawing


def _fit(
    text: str, width: int, size: int, min_size: int, *, max_lines: int
) -> tuple[Font, list[str]]:
    """The largest font size (down to min_size) at which `text` wraps into max_lines; below
    that, the last line is cut with an ellipsis."""
    text = _printable(text)
    font = _font(size)
    while True:
        lines = _wrap(text, font, width)
        if len(lines) <= max_lines:
            return font, lines
        if size <= min_size:
            break
        size = max(min_size, size - 4)
        font = _font(size)
    kept = lines[:max_lines]
    last = kept[-1]
    while last and _text_width(font, last + "…") > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return font, kept


def _wrap(text: str, font: Font, width: int) -> list[str]:
    """Greedy line breaking: between words, between CJK characters, inside overlong words."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            line += " " if line else ""
            continue
        if _text_width(font, line + token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        while _text_width(font, token) > width and len(token) > 1:
            cut = len(token) - 1
            while cut > 1 and _text_width(font, token[:cut]) > width:
                cut -= 1
            lines.append(token[:cut])
            token = token[cut:]
        line = token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    font: Font,
    top: int,
    width: int,
    fill: tuple[int, int, int],
    *,
    bold: bool = False,
) -> int:
    """Centred lines from `top`; returns the y just below the block."""
    step = _line_height(font)
    for i, line in enumerate(lines):
        x = (width - _text_width(font, line)) // 2
        # Noto CJK ships one weight here: a thin stroke in the same colour reads as bold.
        stroke = max(1, round(_size(font) / 40)) if bold else 0
        draw.text(
            (x, top + i * step), line, font=font, fill=fill, stroke_width=stroke, stroke_fill=fill
        )
    return top + len(lines) * step


def _block_height(font: Font, lines: list[str]) -> int:
    return len(lines) * _line_height(font)


def _line_height(font: Font) -> int:
    return round(_size(font) * 1.3)


def _size(font: Font) -> int:
    return int(getattr(font, "size", 16))


def _text_width(font: Font, text: str) -> int:
    return round(font.getlength(text))


def _printable(text: str) -> str:
    """The text without letters the font cannot draw (emoji), whitespace tidied."""
    font = _font(32)
    kept = "".join(ch for ch in _INVISIBLE.sub("", text) if ch.isspace() or _has_glyph(font, ch))
    return " ".join(kept.split())


def _has_glyph(font: Font, ch: str) -> bool:
    return _glyph_bitmap(font, ch) != _glyph_bitmap(font, "\U0010fffd")


def _glyph_bitmap(font: Font, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)


# --------------------------------------------------------------------------------- fonts


@cache
def _font(size: int) -> Font:
    path, index = _font_file()
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size, index=index)


@cache
def _font_file() -> tuple[str | None, int]:
    """The best font found: the pip CJK package, a system CJK font, then Latin-only ones."""
    candidates = (
        *_packaged_cjk_fonts(),
        *_SYSTEM_CJK_FONTS,
        *_matplotlib_fonts(),
        *_SYSTEM_LATIN_FONTS,
    )
    return next(((path, index) for path, index in candidates if Path(path).is_file()), (None, 0))


def _packaged_cjk_fonts() -> list[tuple[str, int]]:
    spec = importlib.util.find_spec("noto_cjk_sans_otc")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [(str(Path(spec.submodule_search_locations[0]) / "NotoSansCJK-Regular.ttc"), 2)]


def _matplotlib_fonts() -> list[tuple[str, int]]:
    """DejaVu Sans ships inside matplotlib (a dependency): Latin at least, without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return []
    base = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"
    return [(str(base / "DejaVuSans.ttf"), 0)]


def _png(image: Image.Image, *, dpi: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **({"dpi": dpi} if dpi else {}))
    return buffer.getvalue()
