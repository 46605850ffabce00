"""Small charts drawn on the server as inline SVG: stacked bars for counts, a line for a rate.

No JavaScript chart library: a page with a chart is one HTML response, works without scripts
and prints. Shapes carry CSS classes (``series-0``…) that admin.css colours; every bar and point
has a ``<title>`` so hovering (or a screen reader) gives the exact figure. Labels are escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 480, 180  # drawn near its size on a phone (~340 px), scaled up on a laptop
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 10, 24  # margins for the axis labels


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per label; None = no value (a gap in a line)
    css: str = ""  # extra class, e.g. "delivered"


def nice_ceiling(value: float) -> float:
    """The round number (1, 2, 2.5, 5 × 10ⁿ) at or above ``value``: the axis top."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        top = step * 10.0**exponent
        if top >= value:
            return top
    return float(10.0 ** (exponent + 1))


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _frame(labels: Sequence[str], top: float, fmt: Callable[[float], str], label: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="gridline" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(top * fraction))}</text>"
        )
    step = max(1, math.ceil(len(labels) / 6))  # at most ~6 labels under the axis
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for i in range(0, len(labels), step):
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    return parts


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, label: str = "") -> Markup:
    """Stacked bars, one per label; each series a layer (bottom first)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top = nice_ceiling(max(totals, default=0))
    parts = _frame(labels, top, _number, label)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    width = max(slot * 0.7, 1.0)
    for i, name in enumerate(labels):
        base = 0.0
        x = LEFT + slot * i + (slot - width) / 2
        for n, s in enumerate(series):
            value = s.values[i] or 0
            if value <= 0:
                continue
            h = plot_h * value / top
            y = TOP + plot_h * (1 - (base + value) / top)
            parts.append(
                f'<rect class="bar series-{n} {escape(s.css)}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{width:.1f}" height="{h:.1f}"><title>{escape(name)} · '
                f"{escape(s.name)}: {escape(_number(value))}</title></rect>"
            )
            base += value
    parts.append("</svg>")
    return Markup("".join(parts))


def rate_chart(labels: Sequence[str], series: Sequence[Series], *, label: str = "") -> Markup:
    """Lines of rates between 0 and 1 (100%), with a dot per value; ``None`` breaks a line."""
    parts = _frame(labels, 1.0, _percent, label)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    lines: list[str] = []
    dots: list[str] = []  # drawn after every line, so no line hides a dot
    for n, s in enumerate(series):
        css = f"series-{n} {escape(s.css)}"
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x = LEFT + slot * (i + 0.5)
            y = TOP + plot_h * (1 - min(max(value, 0.0), 1.0))
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append(
                f'<circle class="dot {css}" cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
                f"<title>{escape(labels[i])} · {escape(s.name)}: {_percent(value)}</title></circle>"
            )
        lines += [
            f'<polyline class="line {css}" points="{" ".join(run)}"/>'
            for run in runs
            if len(run) > 1
        ]
    return Markup("".join([*parts, *lines, *dots, "</svg>"]))
