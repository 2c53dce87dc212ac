"""A coupon's daily claims and redemptions as a bar chart (matplotlib, Agg): plain data in,
PNG bytes out. It builds its own Figure instead of using pyplot, so no global state is touched
and it can run in a worker thread."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.render.qr import INK, TEAL, _font_file

AMBER = (217, 119, 6)
GRID = (226, 232, 240)
SIZE_IN = (8.0, 4.5)
DPI = 150  # 1200 x 675 px: sharp on a phone, small to send


@dataclass(frozen=True)
class ChartTexts:
    """What the chart says, in the reader's language."""

    title: str
    claims: str
    redemptions: str


def daily_chart_png(days: Sequence[tuple[date, int, int]], texts: ChartTexts) -> bytes:
    """Claims and redemptions per day, side by side, days labelled `MM-DD` (every other one
    when there are many), a whole-number y axis and a legend."""
    figure = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    family = _families()
    positions = range(len(days))
    width = 0.4
    axes.bar(
        [x - width / 2 for x in positions],
        [claims for _, claims, _ in days],
        width,
        label=texts.claims,
        color=_rgb(TEAL),
    )
    axes.bar(
        [x + width / 2 for x in positions],
        [redeemed for _, _, redeemed in days],
        width,
        label=texts.redemptions,
        color=_rgb(AMBER),
    )
    step = 2 if len(days) > 8 else 1
    axes.set_xticks(list(positions)[::step])
    axes.set_xticklabels([d.strftime("%m-%d") for d, _, _ in days][::step], family=family)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0, top=max([1, *(max(c, r) for _, c, r in days)]) * 1.15)
    axes.grid(axis="y", color=_rgb(GRID))
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(
        _drawable(texts.title),
        family=family,
        color=_rgb(INK),
        fontsize=15,
        pad=28,
        loc="left",
        parse_math=False,  # a title like "$5 off" is text, not TeX
    )
    # Above the bars, right-aligned under the title: never hides a bar.
    legend = axes.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2)
    for text in legend.get_texts():
        text.set_family(family)
        text.set_parse_math(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@cache
def _families() -> list[str]:
    """Font families for Chinese and English: the CJK font the posters use (Simplified face),
    with matplotlib's own DejaVu Sans as fallback for anything it lacks."""
    path, _ = _font_file()
    families = []
    if path is not None:
        font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist if f.fname == path}
        families += sorted(names, key=lambda name: (" SC" not in name, "Mono" in name, name))[:1]
    return [*families, "DejaVu Sans"]


def _drawable(text: str) -> str:
    """Text without emoji and other pictographs, which no chart font draws."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Cs", "Co"))
    return " ".join(kept.split())


def _rgb(color: tuple[int, int, int]) -> tuple[float, float, float]:
    r, g, b = color
    return r / 255, g / 255, b / 255
