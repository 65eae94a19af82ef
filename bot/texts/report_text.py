"""The figures as the phone's text: every figure of each branch, or, for a company too big
for one message, a line per branch (``/report``, ``/figures``, the quarterly assessment).
"""

from __future__ import annotations

from bot.domain.figures import BranchFigures, Report
from bot.i18n import N_, t
from bot.texts import report_render as rr
from bot.texts.textfit import TEXT_LIMIT, utf16_len


def _previous(report: Report, before: Report | None) -> dict[int | None, BranchFigures]:
    return {b.branch_id: b for b in before.branches} if before is not None else {}


def text(
    lang: str, header: str, report: Report, before: Report | None = None, *, suppress: bool
) -> str:
    """The phone's text: a header, then each branch's figures (changes in brackets)."""
    earlier = _previous(report, before)
    parts = [header]
    for fig in report.branches:
        block = [f"🏢 {rr.branch_name(lang, fig)}"]
        prev = earlier.get(fig.branch_id)
        if fig.empty and (prev is None or prev.empty):
            block.append("  " + t(lang, "No requests and no visits in this period."))
        else:
            for line in rr.lines(lang, fig, prev, suppress=suppress):
                change = f" ({line.change})" if line.change else ""
                block.append(f"  {line.label}: {line.value}{change}")
        parts.append("\n".join(block))
    return "\n\n".join(parts)


def compact(lang: str, header: str, report: Report, *, suppress: bool) -> str:
    """Every branch on one line, for a company too big for ``text`` on one phone screen."""
    rows = [header, t(lang, COMPACT_LEGEND)]
    for fig in report.branches:
        cells = rr.Cells(fig, suppress)
        if cells.withheld or not fig.requests:
            summary = rr.shown(lang, cells.requests)
        else:
            median, p90 = cells.timing("take")
            mean = cells.stat(fig.rating_mean, fig.rated)
            summary = " · ".join(
                [
                    str(fig.requests),
                    f"{rr.time_text(lang, median)} / {rr.time_text(lang, p90)}",
                    rr.time_text(lang, cells.timing("resolve")[0]),
                    rr.percent(lang, cells.share(fig.escalated, fig.requests)),
                    rr.percent(lang, cells.share(fig.reopened, fig.resolved)),
                    "★" + rr.shown(lang, mean, f"{mean:.1f}" if isinstance(mean, float) else None),
                    rr.percent(lang, cells.visits()),
                ]
            )
        rows.append(f"🏢 {rr.branch_name(lang, fig)}: {summary}")
    return "\n".join(rows)


COMPACT_LEGEND = N_(
    "One line per branch: requests · time to take, median / 90% · median time to resolve · "
    "escalated · reopened · satisfaction · visits on time. Every figure: helpline report."
)


def fitting(lang: str, header: str, report: Report, *, suppress: bool) -> str:
    """The full text if it fits one message, else one line per branch."""
    full = text(lang, header, report, suppress=suppress)
    if utf16_len(full) <= TEXT_LIMIT:
        return full
    return compact(lang, header, report, suppress=suppress)
