"""The coupon a customer shows at the counter: its title, a QR code staff scan, and the code in
print underneath for when scanning fails and staff type it instead."""

from __future__ import annotations

from PIL import Image, ImageDraw

from bot.render.qr import (
    INK,
    QUIET_MODULES,
    TEAL,
    WHITE,
    _block_height,
    _draw_lines,
    _draw_modules,
    _fit,
    _png,
    _qr_matrix,
)

WIDTH = 720
MARGIN = 48
QR_MAX_PX = 520  # large enough for a phone held up to another phone's camera


def coupon_qr_png(deep_link: str, code: str, title: str) -> bytes:
    """A PNG card: the title on a teal band (if any), the QR code of `deep_link`, and `code`
    printed large below it."""
    inner = WIDTH - 2 * MARGIN
    title_font, title_lines = _fit(title, inner, 44, 28, max_lines=2)
    code_font, code_lines = _fit(code, inner, 64, 32, max_lines=1)
    header = 2 * 32 + _block_height(title_font, title_lines) if title_lines else 0

    matrix = _qr_matrix(deep_link)
    modules = len(matrix) + 2 * QUIET_MODULES
    module_px = max(1, min(QR_MAX_PX, inner) // modules)
    side = modules * module_px
    qr_top = header + 24
    code_top = qr_top + side + 8
    height = code_top + _block_height(code_font, code_lines) + MARGIN

    image = Image.new("RGB", (WIDTH, height), WHITE)
    draw = ImageDraw.Draw(image)
    if title_lines:
        draw.rectangle((0, 0, WIDTH, header), fill=TEAL)
        _draw_lines(draw, title_lines, title_font, 32, WIDTH, WHITE, bold=True)
    _draw_modules(draw, matrix, ((WIDTH - side) // 2, qr_top), module_px, (0, 0, 0))
    _draw_lines(draw, code_lines, code_font, code_top, WIDTH, INK, bold=True)
    return _png(image)
