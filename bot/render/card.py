"""The membership card face: what a customer carries and what the owner previews in /card.

A credit-card-shaped picture in the tier colour, with the shop's photo and name, the tier, the
member number grouped for reading aloud at the counter, and a QR code staff scan (the card's
short-lived deep link). Text is dark or white, whichever reads better on the tier colour; fonts
and text fitting are the poster's (bot/render/qr.py), so Chinese draws the same everywhere.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageOps

from bot.render.qr import (
    QUIET_MODULES,
    WHITE,
    Font,
    _draw_modules,
    _fit,
    _line_height,
    _png,
    _qr_matrix,
    _size,
)

#: ISO/IEC 7810 ID-1 (85.60 × 53.98 mm) at ~300 dpi: prints at card size, sharp on a phone.
CARD_SIZE = (1012, 638)
MARGIN = 56
PHOTO_PX = 132
QR_PANEL_PX = 400  # white panel holding the code and its quiet zone
DARK_TEXT = (17, 24, 39)
LIGHT_TEXT = (255, 255, 255)
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")
FALLBACK_COLOUR = "#475569"


@dataclass(frozen=True)
class CardFace:
    """Everything drawn on a card face. `labels` holds the translated captions:
    "number" (above the member number) and "tier" (above the tier name); missing ones are left
    out. `qr_payload` None draws no code (a preview before the card exists)."""

    shop_name: str
    shop_photo: bytes | None
    tier_name: str
    colour: str
    member_number: str
    qr_payload: str | None
    labels: dict[str, str] = field(default_factory=dict)


def render_card(face: CardFace) -> bytes:
    """The card face as PNG bytes (CARD_SIZE). Square corners: Telegram rounds a photo's
    corners itself, and a transparent corner would turn black in a JPEG-recompressed photo."""
    width, height = CARD_SIZE
    background = parse_colour(face.colour)
    ink = text_colour(background)
    soft = _mix(ink, background, 0.3)

    image = Image.new("RGBA", CARD_SIZE, (*background, 255))
    _shade(image, background)
    draw = ImageDraw.Draw(image)

    text_right = width - MARGIN
    if face.qr_payload:
        text_right = _draw_qr_panel(image, face.qr_payload) - 36

    # Header: the shop's photo (if any), then its name in up to two lines.
    left = MARGIN
    photo = _rounded_photo(face.shop_photo, PHOTO_PX) if face.shop_photo else None
    if photo is not None:
        image.paste(photo, (MARGIN, MARGIN), photo)
        left = MARGIN + PHOTO_PX + 28
    name_font, name_lines = _fit(face.shop_name, text_right - left, 52, 30, max_lines=2)
    name_height = len(name_lines) * _line_height(name_font)
    header = PHOTO_PX if photo is not None else name_height
    name_top = MARGIN + max(0, (header - name_height) // 2)
    _draw_left(draw, name_lines, name_font, left, name_top, ink, bold=True)

    # Footer: member number; above it, the tier.
    inner = text_right - MARGIN
    number_font, number_lines = _fit(group_number(face.member_number), inner, 60, 30, max_lines=1)
    number_top = height - MARGIN - _line_height(number_font)
    y = height - MARGIN + 24  # without a number, the tier sits at the bottom
    if number_lines:
        y = number_top
        _draw_left(draw, number_lines, number_font, MARGIN, number_top, ink, bold=True)
        y = _caption(draw, face.labels.get("number", ""), inner, y, soft)
    tier_font, tier_lines = _fit(face.tier_name, inner, 68, 34, max_lines=1)
    tier_top = y - 24 - _line_height(tier_font)
    _draw_left(draw, tier_lines, tier_font, MARGIN, tier_top, ink, bold=True)
    _caption(draw, face.labels.get("tier", ""), inner, tier_top, soft)
    return _png(image.convert("RGB"))


def group_number(number: str) -> str:
    """Digits in groups of four, as on a bank card: "1234 5678 9012 3"."""
    digits = "".join(number.split())
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def parse_colour(colour: str) -> tuple[int, int, int]:
    """ "#RRGGBB" as an RGB triple; anything else draws as slate grey rather than failing."""
    match = _HEX.fullmatch(colour.strip()) or _HEX.fullmatch(FALLBACK_COLOUR)
    assert match is not None
    value = int(match.group(1), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Dark or white text, whichever has the higher WCAG contrast ratio on `background`."""
    lum = _luminance(background)
    dark = (lum + 0.05) / (_luminance(DARK_TEXT) + 0.05)
    light = (_luminance(LIGHT_TEXT) + 0.05) / (lum + 0.05)
    return DARK_TEXT if dark >= light else LIGHT_TEXT


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio between two colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# ------------------------------------------------------------------------------- drawing


def _draw_qr_panel(image: Image.Image, payload: str) -> int:
    """A white rounded panel on the right, vertically centred, holding the biggest whole-pixel
    QR code with its quiet zone; returns the panel's left edge."""
    width, height = CARD_SIZE
    matrix = _qr_matrix(payload)
    modules = len(matrix) + 2 * QUIET_MODULES
    module_px = max(1, QR_PANEL_PX // modules)
    side = modules * module_px
    x = width - MARGIN + 8 - side
    y = (height - side) // 2
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((x, y, x + side - 1, y + side - 1), 24, fill=(*WHITE, 255))
    _draw_modules(draw, matrix, (x, y), module_px, (0, 0, 0, 255))
    return x


def _caption(
    draw: ImageDraw.ImageDraw, text: str, width: int, bottom: int, fill: tuple[int, int, int]
) -> int:
    """A small caption line ending just above `bottom`; returns its top (or `bottom`)."""
    if not text.strip():
        return bottom
    font, lines = _fit(text, width, 28, 20, max_lines=1)
    if not lines:
        return bottom
    top = bottom - _line_height(font) - 2
    _draw_left(draw, lines, font, MARGIN, top, fill)
    return top


def _draw_left(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    font: Font,
    left: int,
    top: int,
    fill: tuple[int, int, int],
    *,
    bold: bool = False,
) -> None:
    step = _line_height(font)
    stroke = max(1, round(_size(font) / 40)) if bold else 0
    for i, line in enumerate(lines):
        draw.text(
            (left, top + i * step),
            line,
            font=font,
            fill=fill,
            stroke_width=stroke,
            stroke_fill=fill,
        )


def _shade(card: Image.Image, base: tuple[int, int, int]) -> None:
    """A soft diagonal sheen so a flat colour looks like a card, not a swatch."""
    width, height = card.size
    sheen = Image.new("RGBA", card.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(sheen)
    light = _mix(base, (255, 255, 255), 0.12)
    dark = _mix(base, (0, 0, 0), 0.10)
    draw.polygon([(width * 0.5, 0), (width, 0), (width, height * 0.6)], fill=(*light, 255))
    draw.polygon(
        [(width, height * 0.45), (width, height), (width * 0.55, height)], fill=(*dark, 255)
    )
    card.alpha_composite(sheen)


def _rounded_photo(data: bytes, side: int) -> Image.Image | None:
    """The photo cropped to a centred square with rounded corners; None if it won't open."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            photo = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    photo = ImageOps.fit(photo, (side, side), Image.Resampling.LANCZOS)
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, side - 1, side - 1), side // 5, fill=255)
    rounded = photo.convert("RGBA")
    rounded.putalpha(mask)
    return rounded


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], weight_b: float) -> tuple[int, int, int]:
    return tuple(round(x * (1 - weight_b) + y * weight_b) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
