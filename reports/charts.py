"""Bar charts for the report pages: hand-made SVG, rendered on the server (no JavaScript, no CDN).

The SVG carries its colours as presentation attributes (the Content-Security-Policy allows no inline styles),
scales to its container through its viewBox, prints as it shows, and names itself for screen readers with
<title> and <desc>; every chart sits next to a table with the same figures.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask_babel import format_decimal, format_percent
from markupsafe import Markup, escape

#: Colours: the brand blue for priority figures and the leading series, a light blue for the rest.
COLOURS = {"main": "#0b5394", "light": "#8fb4dc", "mark": "#b45309", "grid": "#d0d7de", "text": "#212529",
           "muted": "#59636e"}
FONT_PX = 12
ROW_PX = 24
BAR_PX = 14
WIDTH_PX = 720
#: The widest label column; a longer label is shortened (its full text stays in the SVG's <title> of the row).
LABEL_MAX_PX = 240.0
_ids = itertools.count(1)


def percent(value: float | None) -> str:
    """0.4567 → 45.67 %, 0.0003 → 0.03 % in the active locale; None → —."""
    return "—" if value is None else format_percent(value, "#,##0.0#%")


def number(value: float | int | None) -> str:
    return "—" if value is None else format_decimal(value, "#,##0")


@dataclass(frozen=True)
class Bar:
    """One row of a chart: its label, its values (one per series; None draws no bar) and the text after it."""

    label: str
    values: tuple[float | None, ...]
    text: str
    highlight: bool = False


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """A rough rendered width: wide (CJK) characters one em, others about 0.6 em."""
    return sum(font_px if unicodedata.east_asian_width(ch) in "WF" else font_px * 0.6 for ch in text)


def fit(text: str, max_px: float, font_px: float = FONT_PX) -> str:
    """The text, cut with an ellipsis when it would be wider than max_px (the table beside holds it whole)."""
    if text_width(text, font_px) <= max_px:
        return text
    while text and text_width(text + "…", font_px) > max_px:
        text = text[:-1]
    return text.rstrip() + "…"


def _ticks(top: float, fmt: Callable[[float], str]) -> list[tuple[float, str]]:
    return [(top * i / 4, fmt(top * i / 4)) for i in range(5)]


def _nice_top(largest: float) -> float:
    """The axis end for counts: 4, 8, 20, 40, 80, 200 ... (four grid steps of 1, 2, 5, 10, 20, 50 ...)."""
    step, factors = 1.0, itertools.cycle((2, 2.5, 2))
    while step * 4 < largest:
        step *= next(factors)
    return step * 4


def bar_chart(bars: Sequence[Bar], *, title: str, description: str, kind: str = "percent",
              series: Sequence[str] = (), empty: str = "") -> Markup:
    """A horizontal bar chart as inline SVG.

    `kind` "percent" draws values as shares on an axis from 0 to 100 % (or further, when a value exceeds it);
    "count" on an axis from 0 to a round number above the largest value. `series` names the bars of each row
    (drawn one under the other, in the colours "main", "light") for the legend.
    """
    if not bars:
        return Markup('<p class="text-body-secondary small">{}</p>').format(empty)
    chart_id = f"chart-{next(_ids)}"
    values = [v for bar in bars for v in bar.values if v is not None]
    largest = max(values, default=0)
    if kind == "percent":
        top, fmt = max(1.0, largest), percent
    else:
        top, fmt = _nice_top(largest), lambda v: number(round(v))
    label_px = min(LABEL_MAX_PX, max(text_width(bar.label) for bar in bars) + 8)
    text_px = max(60.0, max(text_width(bar.text) for bar in bars) + 8)
    plot_x, plot_px = label_px, WIDTH_PX - label_px - text_px
    count = max(1, len(bars[0].values))
    row_px = ROW_PX if count == 1 else BAR_PX * count + 10
    legend_px = 22 if series else 0
    height = legend_px + len(bars) * row_px + 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" viewBox="0 0 {WIDTH_PX} {height:.0f}" '
           f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
           f'font-family="sans-serif" font-size="{FONT_PX}">',
           f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>']
    if series:
        x = plot_x
        for name, colour in zip(series, ("main", "light"), strict=False):
            out.append(f'<rect x="{x:.1f}" y="4" width="12" height="12" fill="{COLOURS[colour]}"/>'
                       f'<text x="{x + 16:.1f}" y="14" fill="{COLOURS["text"]}">{escape(name)}</text>')
            x += text_width(name) + 40
    top_y, bottom_y = legend_px, legend_px + len(bars) * row_px
    for value, label in _ticks(top, fmt):
        x = plot_x + plot_px * value / top
        out.append(f'<line x1="{x:.1f}" y1="{top_y}" x2="{x:.1f}" y2="{bottom_y}" stroke="{COLOURS["grid"]}"/>'
                   f'<text x="{x:.1f}" y="{bottom_y + 15}" text-anchor="middle" fill="{COLOURS["muted"]}" '
                   f'font-size="{FONT_PX - 2}">{escape(label)}</text>')
    for row, bar in enumerate(bars):
        y = top_y + row * row_px
        middle = y + row_px / 2
        weight = ' font-weight="bold"' if bar.highlight else ""
        shown = fit(bar.label, label_px - 8)
        hint = f"<title>{escape(bar.label)}</title>" if shown != bar.label else ""
        out.append(f'<text x="{plot_x - 6:.1f}" y="{middle + 4:.1f}" text-anchor="end" fill="{COLOURS["text"]}"'
                   f'{weight}>{hint}{escape(shown)}</text>')
        end = plot_x
        for index, value in enumerate(bar.values):
            if value is None:
                continue
            colour = COLOURS["main" if index == 0 else "light"]
            if bar.highlight and count == 1:
                colour = COLOURS["mark"]
            width = max(0.0, plot_px * value / top)
            bar_y = middle - BAR_PX * count / 2 + BAR_PX * index
            out.append(f'<rect x="{plot_x:.1f}" y="{bar_y + 1:.1f}" width="{width:.1f}" height="{BAR_PX - 2}" '
                       f'fill="{colour}"/>')
            end = max(end, plot_x + width)
        out.append(f'<text x="{end + 5:.1f}" y="{middle + 4:.1f}" fill="{COLOURS["text"]}"{weight}>'
                   f'{escape(bar.text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - our markup; every text in it went through escape()
