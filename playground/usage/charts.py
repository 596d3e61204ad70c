"""Server-rendered SVG charts: shapes computed here, drawn by templates/usage/_chart.html.

Horizontal positions are percentages of the chart's width and vertical ones pixels, with
no viewBox: a chart fills any width (a 390 px phone as a desktop) while its text keeps its
size and never stretches. Colours are CSS classes (static/css/usage.css) over the theme's
variables, so charts follow light and dark mode; nothing is a style attribute (the CSP
allows none).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from playground.usage.prices import usd

HEIGHT = 180
TOP = 16  # room for the top gridline's label
PLOT = 136
X_LABELS = 6  # at most, under a chart of days


@dataclass
class Bar:
    x: float
    width: float
    y: float
    height: float
    css: str
    title: str


@dataclass
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str


@dataclass
class Dot:
    x: float
    y: float
    css: str
    title: str


@dataclass
class Gridline:
    y: float
    label: str


@dataclass
class XLabel:
    x: float
    label: str
    anchor: str


@dataclass
class Chart:
    bars: list[Bar] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    gridlines: list[Gridline] = field(default_factory=list)
    xlabels: list[XLabel] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css, label)
    height: int = HEIGHT
    baseline: float = TOP + PLOT


Series = tuple[str, str, Sequence[float | None]]  # (css, label, a value per day or None)


def nice_ceiling(value: float) -> float:
    """The round number (1, 2, 2.5 or 5 times a power of ten) at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value * (1 - 1e-9))


def _frame(days: Sequence[date], top: float, fmt: Callable[[float], str]) -> Chart:
    chart = Chart()
    chart.gridlines = [Gridline(TOP + PLOT * (1 - f), fmt(top * f)) for f in (0, 0.5, 1)]
    step = max(1, math.ceil(len(days) / X_LABELS))
    for i in range(0, len(days), step):
        # The first label starts at the left edge, so it is never cut off; the others
        # are centred under their day.
        x = 0.0 if i == 0 else round((i + 0.5) / len(days) * 100, 3)
        chart.xlabels.append(XLabel(x, _day(days[i]), "start" if i == 0 else "middle"))
    return chart


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _y(value: float, top: float) -> float:
    return round(TOP + PLOT * (1 - value / top), 2)


def columns(days: Sequence[date], series: Sequence[Series], fmt: Callable[[float], str]) -> Chart:
    """A column per day, the series stacked in order."""
    stacks = [sum(values[i] or 0 for _, _, values in series) for i in range(len(days))]
    top = nice_ceiling(max(stacks, default=0))
    chart = _frame(days, top, fmt)
    slot = 100 / max(len(days), 1)
    for i, day in enumerate(days):
        base = 0.0
        for css, label, values in series:
            value = values[i] or 0
            if value:
                y = _y(base + value, top)
                chart.bars.append(
                    Bar(round(i * slot + slot * 0.1, 3), round(slot * 0.8, 3), y,
                        round(_y(base, top) - y, 2), css, f"{_day(day)}: {fmt(value)} {label}")
                )  # fmt: skip
            base += value
    chart.legend = [(css, label) for css, label, _ in series]
    return chart


def lines(days: Sequence[date], series: Sequence[Series], fmt: Callable[[float], str]) -> Chart:
    """A line per series, broken over days without a value; a dot on each value."""
    found = [v for _, _, values in series for v in values if v is not None]
    top = nice_ceiling(max(found, default=0))
    chart = _frame(days, top, fmt)
    slot = 100 / max(len(days), 1)
    for css, label, values in series:
        previous = None
        for i, value in enumerate(values):
            if value is None:
                previous = None
                continue
            point = (round((i + 0.5) * slot, 3), _y(value, top))
            chart.dots.append(Dot(*point, css, f"{_day(days[i])}: {fmt(value)} {label}"))
            if previous is not None:
                chart.segments.append(Segment(*previous, *point, css))
            previous = point
    chart.legend = [(css, label) for css, label, _ in series]
    return chart


@dataclass
class Rank:
    label: str
    value_label: str
    width: float  # percent of the longest bar's room
    css: str


def ranking(items: Sequence[tuple[str, float, str]], css: str, limit: int = 10) -> list[Rank]:
    """Horizontal bars, biggest first: (label, value, value as shown); past `limit`
    items the rest share one bar."""
    items = list(items)
    if len(items) > limit:
        rest = items[limit - 1 :]
        total = sum(value for _, value, _ in rest)
        items = [*items[: limit - 1], (f"{len(rest)} others", total, f"{total:,.0f}")]
    top = max((value for _, value, _ in items), default=0) or 1
    return [Rank(label, shown, round(max(value / top * 100, 0.5), 2), css)
            for label, value, shown in items]  # fmt: skip


# How figures read, on charts, in their tables and in the summary.

UNKNOWN = "\u2013"  # an en dash, as the request log shows unknown values


def count(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    # Whole numbers, but for a gridline halfway to a small top (2.5 requests).
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def money(value: float | Decimal | None) -> str:
    if value is None:
        return UNKNOWN
    return usd(value if isinstance(value, Decimal) else Decimal(str(value))) if value else "$0"


def duration(ms: float | None) -> str:
    if ms is None:
        return UNKNOWN
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s".replace(".0 s", " s")
    return f"{ms / 60_000:.1f} min".replace(".0 min", " min")


def rate(value: float | None) -> str:
    """A 0..1 ratio as a percentage."""
    return percent(None if value is None else value * 100)


def percent(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


# Drawn here rather than in templates: a 90-day page has hundreds of marks and cells, which
# Django's template engine (and format_html, lazily escaping each value) would take most of
# the page's time to write. Text is escaped with html.escape; numbers are ours.


def svg(chart: Chart, name: str) -> SafeString:
    """The chart as an SVG element (decorative: its table says the same to screen readers)."""
    parts = [
        f'<svg class="usage-svg" width="100%" height="{chart.height}" aria-hidden="true"'
        f' focusable="false" data-chart="{escape(name)}">'
    ]
    for line in chart.gridlines:
        parts.append(
            f'<line class="usage-grid" x1="0" x2="100%" y1="{line.y}" y2="{line.y}"/>'
            f'<text class="usage-label" x="0" y="{line.y}" dy="-4">{escape(line.label)}</text>'
        )
    for bar in chart.bars:
        parts.append(
            f'<rect class="usage-mark usage-mark--{bar.css}" x="{bar.x}%" width="{bar.width}%"'
            f' y="{bar.y}" height="{bar.height}" rx="1.5"><title>{escape(bar.title)}</title></rect>'
        )
    for s in chart.segments:
        parts.append(
            f'<line class="usage-line usage-line--{s.css}" x1="{s.x1}%" y1="{s.y1}"'
            f' x2="{s.x2}%" y2="{s.y2}"/>'
        )
    for dot in chart.dots:
        parts.append(
            f'<circle class="usage-mark usage-mark--{dot.css}" cx="{dot.x}%" cy="{dot.y}"'
            f' r="2.5"><title>{escape(dot.title)}</title></circle>'
        )
    for label in chart.xlabels:
        parts.append(
            f'<text class="usage-label" x="{label.x}%" y="{chart.height}" dy="-6"'
            f' text-anchor="{label.anchor}">{escape(label.label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it was escaped above


def legend(chart: Chart) -> SafeString:
    return mark_safe(
        "".join(
            f'<span class="usage-legend__item"><span class="usage-swatch usage-swatch--{css}"'
            f' aria-hidden="true"></span>{escape(label)}</span>'
            for css, label in chart.legend
        )
    )


def bars(ranks: list[Rank], name: str) -> SafeString:
    """Horizontal bars as a list (decorative too), each bar an SVG sized in percent."""
    items = "".join(
        f'<li class="usage-rank"><span class="usage-rank__label">{escape(r.label)}</span>'
        f'<span class="usage-rank__value">{escape(r.value_label)}</span><svg'
        f' class="usage-rank__bar" width="100%" height="8" focusable="false"><rect'
        f' class="usage-mark usage-mark--{r.css}" x="0" y="0" width="{r.width}%" height="8"'
        f' rx="2"/></svg></li>'
        for r in ranks
    )
    return mark_safe(
        f'<ol class="usage-ranks" aria-hidden="true" data-chart="{escape(name)}">{items}</ol>'
    )


def table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> SafeString:
    """A chart's figures: the first column names the row, the others are numbers."""
    heads = "".join(f'<th scope="col" class="num">{escape(h)}</th>' for h in head[1:])
    body = "".join(
        f'<tr><th scope="row">{escape(row[0])}</th>'
        + "".join(f'<td class="num">{escape(cell)}</td>' for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    return mark_safe(
        f'<table class="gw-table"><caption class="visually-hidden">{escape(caption)}</caption>'
        f'<thead><tr><th scope="col">{escape(head[0])}</th>{heads}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )
