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

from django.utils.html import format_html, format_html_join
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
    return UNKNOWN if value is None else f"{value:,.0f}"


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
        return f"{ms / 1000:.1f} s"
    return f"{ms / 60_000:.1f} min"


def rate(value: float | None) -> str:
    """A 0..1 ratio as a percentage."""
    return percent(None if value is None else value * 100)


def percent(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


# Drawn here rather than in templates: a 90-day page has hundreds of marks and cells, which
# Django's template engine would take most of the page's time to write.


def svg(chart: Chart, name: str) -> SafeString:
    """The chart as an SVG element (decorative: its table says the same to screen readers)."""
    parts = [format_html(
        '<svg class="usage-svg" width="100%" height="{}" aria-hidden="true" focusable="false"'
        ' data-chart="{}">', chart.height, name)]  # fmt: skip
    for line in chart.gridlines:
        parts.append(format_html(
            '<line class="usage-grid" x1="0" x2="100%" y1="{0}" y2="{0}"/>'
            '<text class="usage-label" x="0" y="{0}" dy="-4">{1}</text>',
            line.y, line.label))  # fmt: skip
    for bar in chart.bars:
        parts.append(format_html(
            '<rect class="usage-mark usage-mark--{}" x="{}%" width="{}%" y="{}" height="{}"'
            ' rx="1.5"><title>{}</title></rect>',
            bar.css, bar.x, bar.width, bar.y, bar.height, bar.title))  # fmt: skip
    for s in chart.segments:
        parts.append(format_html(
            '<line class="usage-line usage-line--{}" x1="{}%" y1="{}" x2="{}%" y2="{}"/>',
            s.css, s.x1, s.y1, s.x2, s.y2))  # fmt: skip
    for dot in chart.dots:
        parts.append(format_html(
            '<circle class="usage-mark usage-mark--{}" cx="{}%" cy="{}" r="2.5">'
            "<title>{}</title></circle>", dot.css, dot.x, dot.y, dot.title))  # fmt: skip
    for label in chart.xlabels:
        parts.append(format_html(
            '<text class="usage-label" x="{}%" y="{}" dy="-6" text-anchor="{}">{}</text>',
            label.x, chart.height, label.anchor, label.label))  # fmt: skip
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def legend(chart: Chart) -> SafeString:
    return format_html_join(
        "", '<span class="usage-legend__item"><span class="usage-swatch usage-swatch--{}"'
        ' aria-hidden="true"></span>{}</span>', chart.legend)  # fmt: skip


def bars(ranks: list[Rank], name: str) -> SafeString:
    """Horizontal bars as a list (decorative too), each bar an SVG sized in percent."""
    items = format_html_join("", (
        '<li class="usage-rank"><span class="usage-rank__label">{}</span>'
        '<span class="usage-rank__value">{}</span><svg class="usage-rank__bar" width="100%"'
        ' height="8" focusable="false"><rect class="usage-mark usage-mark--{}" x="0" y="0"'
        ' width="{}%" height="8" rx="2"/></svg></li>'),
        ((r.label, r.value_label, r.css, r.width) for r in ranks))  # fmt: skip
    return format_html(
        '<ol class="usage-ranks" aria-hidden="true" data-chart="{}">{}</ol>', name, items
    )


def table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> SafeString:
    """A chart's figures: the first column names the row, the others are numbers."""
    heads = format_html_join("", '<th scope="col" class="num">{}</th>', ((h,) for h in head[1:]))
    body = [
        format_html(
            '<tr><th scope="row">{}</th>{}</tr>', row[0],
            format_html_join("", '<td class="num">{}</td>', ((cell,) for cell in row[1:])),
        )
        for row in rows
    ]  # fmt: skip
    return format_html(
        '<table class="gw-table"><caption class="visually-hidden">{}</caption><thead><tr>'
        '<th scope="col">{}</th>{}</tr></thead><tbody>{}</tbody></table>',
        caption, head[0], heads, mark_safe("".join(body)),
    )  # fmt: skip
