"""The figures as pictures: what a chart says faster than the text.

Two charts per report: the median time to take per branch (a bar chart, when there are two
branches or more to compare) and the requests per week of each branch (a trend line).
Withheld figures (``suppress``) draw no bar and leave a gap in the line. matplotlib runs
here: call ``render_charts`` through ``bot.offloop``, never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import figures as f
from bot.domain.figures import SUPPRESSED, Report
from bot.i18n import t
from bot.texts import charts
from bot.texts.report_render import branch_name, time_text
from bot.texts.textfit import CAPTION_LIMIT, shorten


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str


def render_charts(lang: str, report: Report, *, suppress: bool) -> list[Chart]:
    """The bar chart (two branches or more) and the weekly trend line (any requests)."""
    out: list[Chart] = []
    shown = [b for b in report.branches if b.requests or b.branch_id is not None]
    if len(shown) >= 2:
        medians = [f.statistic(b.take.median, b.take.n, suppress=suppress) for b in shown]
        title = t(lang, "Median time to take · {period}", period=report.period.label)
        png = charts.bar_chart(
            title,
            [branch_name(lang, b) for b in shown],
            [m / 60 if isinstance(m, int | float) else None for m in medians],
            t(lang, "minutes"),
            [time_text(lang, m) for m in medians],
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
        png = charts.line_chart(title, weeks, series, t(lang, "requests"))
        out.append(Chart(png, shorten(title, CAPTION_LIMIT)))
    return out
