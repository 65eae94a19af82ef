"""The figures as pictures: what a chart says faster than the text.

Two charts per report: the median time to take per branch (a bar chart, when there are two
branches or more to compare) and the requests per week of each branch (a trend line).
Withheld figures (``suppress``) draw no bar and leave a gap in the line; a chart with
nothing to draw says so ("no data") rather than showing an empty axis. matplotlib runs
here: call ``render_charts`` through ``bot.offloop``, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain import figures as f
from bot.domain.figures import SUPPRESSED, Report
from bot.i18n import N_, t
from bot.texts import charts
from bot.texts.report_render import Cell, branch_name, shown
from bot.texts.textfit import CAPTION_LIMIT, shorten

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NO_DATA = N_("no data")
# What a chart says when it has data but every figure on it is withheld (fewer than 3):
# "no data" there would say nothing happened.
WITHHELD = N_("withheld: fewer than 3 requests each")

# The unit of a time chart, chosen by its longest bar with the text's thresholds
# (``report_render.duration``): below (seconds), how many seconds make one, the axis's
# word and a bar's label. One unit for the axis and every bar: "45 s" beside an axis in
# minutes makes the reader convert.
TIME_UNITS = (
    (60.0, 1.0, N_("seconds"), N_("{n} s")),
    (3600.0, 60.0, N_("minutes"), N_("{n} min")),
    (48 * 3600.0, 3600.0, N_("hours"), N_("{n} h")),
    (float("inf"), 86400.0, N_("days"), N_("{n} d")),
)


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str


@dataclass(frozen=True)
class TimeBars:
    """Times per bar in one unit: the heights, the axis's word and each bar's label."""

    heights: list[float | None]
    unit: str
    labels: list[str]


def _number(value: float) -> str:
    """One decimal below 10 (0.8 min, 2.5 min), none above (12 min): as the text writes."""
    return f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"


def time_bars(lang: str, cells: Sequence[Cell]) -> TimeBars:
    """Seconds (or withheld, or not measured) as bars in the unit of the longest one."""
    longest = max((float(c) for c in cells if isinstance(c, int | float)), default=0.0)
    _, size, unit, label = next(u for u in TIME_UNITS if longest < u[0])
    heights: list[float | None] = []
    labels = []
    for cell in cells:
        if isinstance(cell, int | float):
            heights.append(cell / size)
            labels.append(t(lang, label, n=_number(cell / size)))
        else:
            heights.append(None)
            labels.append(shown(lang, cell))
    return TimeBars(heights, t(lang, unit), labels)


@dataclass(frozen=True)
class Bars:
    """A bar chart to draw: one bar per branch."""

    title: str
    labels: list[str]
    heights: list[float | None]
    unit: str
    value_labels: list[str]
    no_data: str


@dataclass(frozen=True)
class Lines:
    """A line chart to draw: one line per branch over the weeks."""

    title: str
    weeks: list[str]
    series: dict[str, list[float | None]]
    unit: str
    no_data: str


def planned(lang: str, report: Report, *, suppress: bool) -> list[Bars | Lines]:
    """What the report's charts show, before any drawing: the bar chart (two branches or
    more) and the weekly trend line (any requests)."""
    out: list[Bars | Lines] = []
    shown_branches = [b for b in report.branches if b.requests or b.branch_id is not None]
    if len(shown_branches) >= 2:
        medians = [f.statistic(b.take.median, b.take.n, suppress=suppress) for b in shown_branches]
        bars = time_bars(lang, medians)
        out.append(
            Bars(
                t(lang, "Median time to take · {period}", period=report.period.label),
                [branch_name(lang, b) for b in shown_branches],
                bars.heights,
                bars.unit,
                bars.labels,
                t(lang, WITHHELD) if SUPPRESSED in medians else t(lang, NO_DATA),
            )
        )
    with_requests = [b for b in report.branches if b.requests]
    if with_requests:
        series: dict[str, list[float | None]] = {}
        for b in with_requests:
            # Withheld whole when any week is 1 or 2, as a breakdown is: a gap in a line
            # whose total is in the text would be the difference.
            cells = f.counts(dict(enumerate(b.weekly)), suppress=suppress)
            withheld = f.count(b.requests, suppress=suppress) is SUPPRESSED or any(
                n is SUPPRESSED for n in cells.values()
            )
            series[branch_name(lang, b)] = [None if withheld else float(n) for n in b.weekly]
        out.append(
            Lines(
                t(lang, "Requests per week · {period}", period=report.period.label),
                [d.strftime("%m-%d") for d in report.weeks],
                series,
                t(lang, "requests"),
                # every branch here has requests: nothing to draw means all withheld
                t(lang, WITHHELD),
            )
        )
    return out


def figure(plan: Bars | Lines) -> Figure:
    """The chart drawn (matplotlib: off the event loop)."""
    if isinstance(plan, Bars):
        return charts.bar_figure(
            plan.title, plan.labels, plan.heights, plan.unit, plan.value_labels,
            no_data=plan.no_data,
        )  # fmt: skip
    return charts.line_figure(plan.title, plan.weeks, plan.series, plan.unit, no_data=plan.no_data)


def render_charts(lang: str, report: Report, *, suppress: bool) -> list[Chart]:
    """The report's charts as PNGs with their captions."""
    return [
        Chart(charts.png(figure(plan)), shorten(plan.title, CAPTION_LIMIT))
        for plan in planned(lang, report, suppress=suppress)
    ]
