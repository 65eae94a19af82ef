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

from bot.domain import figures as f
from bot.domain.figures import SUPPRESSED, Report
from bot.i18n import N_, t
from bot.texts import charts
from bot.texts.report_render import Cell, branch_name, shown
from bot.texts.textfit import CAPTION_LIMIT, shorten

NO_DATA = N_("no data")

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


def render_charts(lang: str, report: Report, *, suppress: bool) -> list[Chart]:
    """The bar chart (two branches or more) and the weekly trend line (any requests)."""
    out: list[Chart] = []
    no_data = t(lang, NO_DATA)
    shown_branches = [b for b in report.branches if b.requests or b.branch_id is not None]
    if len(shown_branches) >= 2:
        medians = [f.statistic(b.take.median, b.take.n, suppress=suppress) for b in shown_branches]
        title = t(lang, "Median time to take · {period}", period=report.period.label)
        bars = time_bars(lang, medians)
        png = charts.bar_chart(
            title,
            [branch_name(lang, b) for b in shown_branches],
            bars.heights,
            bars.unit,
            bars.labels,
            no_data=no_data,
        )
        out.append(Chart(png, shorten(title, CAPTION_LIMIT)))
    with_requests = [b for b in report.branches if b.requests]
    if with_requests:
        title = t(lang, "Requests per week · {period}", period=report.period.label)
        series: dict[str, list[float | None]] = {}
        for b in with_requests:
            # Withheld whole when any week is 1 or 2, as a breakdown is: a gap in a line
            # whose total is in the text would be the difference.
            cells = f.counts(dict(enumerate(b.weekly)), suppress=suppress)
            withheld = f.count(b.requests, suppress=suppress) is SUPPRESSED or any(
                n is SUPPRESSED for n in cells.values()
            )
            series[branch_name(lang, b)] = [None if withheld else float(n) for n in b.weekly]
        weeks = [d.strftime("%m-%d") for d in report.weeks]
        png = charts.line_chart(title, weeks, series, t(lang, "requests"), no_data=no_data)
        out.append(Chart(png, shorten(title, CAPTION_LIMIT)))
    return out
