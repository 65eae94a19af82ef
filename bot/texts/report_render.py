"""The figures in words, one ``Line`` per figure: the rows of the HTML page and of the
phone's text (``bot.texts.report_text``; charts are in ``bot.texts.report_charts``).

Pure functions of a ``Report`` (no Update, no database), shared by ``/report``,
``/figures``, the quarterly assessment and ``helpline report``, so all four say the same
thing. With ``suppress`` every figure over fewer than 3 requests is withheld
(``bot.domain.figures``); names never appear here except the branches'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain import figures as f
from bot.domain.figures import SUPPRESSED, BranchFigures, Hidden, Report
from bot.domain.kinds import Category, Kind
from bot.i18n import t
from bot.texts.render import CATEGORY_LABELS

Cell = int | float | None | Hidden


@dataclass(frozen=True)
class Line:
    """One figure of a branch: what it is, its value, and its change (or "")."""

    label: str
    value: str
    change: str = ""


def branch_name(lang: str, fig: BranchFigures) -> str:
    return fig.name if fig.branch_id is not None else t(lang, "Not in the roster")


def span_text(report: Report) -> str:
    last = report.period.end - timedelta(days=1)
    return f"{report.period.label} ({report.period.first.isoformat()} – {last.isoformat()})"


def duration(lang: str, seconds: float) -> str:
    """A time as a phone shows it: seconds, minutes, hours or days, two digits at most."""
    if seconds < 60:
        return t(lang, "{n} s", n=round(seconds))
    if seconds < 3600:
        return t(lang, "{n} min", n=round(seconds / 60))
    if seconds < 48 * 3600:
        return t(lang, "{n} h", n=_short(seconds / 3600))
    return t(lang, "{n} d", n=_short(seconds / 86400))


def _short(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"


def shown(lang: str, cell: Cell, as_text: str | None = None) -> str:
    if cell is SUPPRESSED:
        return t(lang, "n<3")
    if cell is None:
        return "—"
    return as_text if as_text is not None else str(cell)


def percent(lang: str, cell: Cell) -> str:
    return shown(lang, cell, f"{round(float(cell) * 100)}%" if isinstance(cell, float) else None)


def time_text(lang: str, cell: Cell) -> str:
    return shown(lang, cell, duration(lang, cell) if isinstance(cell, int | float) else None)


def _both(now: Cell, before: Cell) -> tuple[float, float] | None:
    if isinstance(now, int | float) and isinstance(before, int | float):
        return float(now), float(before)
    return None


def _signed(diff: float, text: str) -> str:
    return ("+" if diff > 0 else "−" if diff < 0 else "±") + text


def _count_change(now: Cell, before: Cell) -> str:
    pair = _both(now, before)
    return "" if pair is None else _signed(pair[0] - pair[1], str(abs(round(pair[0] - pair[1]))))


def _time_change(lang: str, now: Cell, before: Cell) -> str:
    pair = _both(now, before)
    return (
        "" if pair is None else _signed(pair[0] - pair[1], duration(lang, abs(pair[0] - pair[1])))
    )


def _share_change(lang: str, now: Cell, before: Cell) -> str:
    pair = _both(now, before)
    if pair is None:
        return ""
    points = round((pair[0] - pair[1]) * 100)
    return _signed(points, t(lang, "{n} pt", n=abs(points)))


class Cells:
    """A branch's figures as cells: numbers, or withheld, or not measured."""

    def __init__(self, fig: BranchFigures, suppress: bool) -> None:
        self.fig, self.suppress = fig, suppress
        self.requests = f.count(fig.requests, suppress=suppress)
        self.by_kind = f.counts(fig.by_kind, suppress=suppress)
        self.by_category = f.counts(fig.by_category, suppress=suppress)
        self.stars = f.counts(
            {s: fig.ratings.get(s, 0) for s in range(5, 0, -1)}, suppress=suppress
        )

    def stat(self, value: float | None, n: int) -> Cell:
        return f.statistic(value, n, suppress=self.suppress)

    def share(self, part: int, whole: int) -> Cell:
        """A share is withheld when its part or the rest is 1 or 2: "25 % of 4" names
        one request as surely as a count of 1 would."""
        if self.suppress and (0 < part < f.MIN_N or 0 < whole - part < f.MIN_N):
            return SUPPRESSED if whole else None
        return self.stat(f.share(part, whole), whole)

    def timing(self, which: str) -> tuple[Cell, Cell]:
        timing: f.Timing = getattr(self.fig, which)
        return self.stat(timing.median, timing.n), self.stat(timing.p90, timing.n)

    @property
    def withheld(self) -> bool:
        """Fewer than 3 requests: nothing but that is said about them."""
        return self.requests is SUPPRESSED

    def visits(self) -> Cell:
        return self.share(self.fig.visits_on_time, self.fig.visits_due)


def lines(
    lang: str, fig: BranchFigures, before: BranchFigures | None = None, *, suppress: bool
) -> list[Line]:
    """The figures of one branch, each with its change against ``before`` when given."""
    now = Cells(fig, suppress)
    old = Cells(before, suppress) if before is not None else None
    out: list[Line] = []
    kinds = (
        " · ".join(
            f"{label}: {shown(lang, now.by_kind[kind.value])}"
            for kind, label in ((Kind.EMERGENCY, "120"), (Kind.TROUBLE, "110"))
        )
        + " · "
        + t(lang, "service: {n}", n=shown(lang, now.by_kind[Kind.SERVICE.value]))
    )
    total = shown(lang, now.requests)
    out.append(
        Line(
            t(lang, "Requests"),
            total if now.withheld or not fig.requests else f"{total} — {kinds}",
            _count_change(now.requests, old.requests) if old else "",
        )
    )
    if not now.withheld and fig.requests:
        out += _request_lines(lang, now, old)
    if fig.visits_due or fig.visits_ahead or (before is not None and before.visits_due):
        out.append(_visits(lang, now, old))
    return out


def _visits(lang: str, now: Cells, old: Cells | None) -> Line:
    """The on-time share of the visits already due; visits still to come are not late
    (``figures.visit_counted``), so a period with none due yet says so, not "0 %"."""
    visits = now.visits()
    if visits is None and now.fig.visits_ahead:
        value = t(lang, "no visits due yet")
    elif visits in (None, SUPPRESSED):
        value = shown(lang, visits)
    else:
        value = t(lang, "{share} of {due} due", share=percent(lang, visits), due=now.fig.visits_due)
        if now.fig.visits_ahead:  # e.g. the quarter's last visits, still within their grace
            value += t(lang, "; {n} still to come", n=now.fig.visits_ahead)
    change = _share_change(lang, visits, old.visits()) if old else ""
    return Line(t(lang, "Care visits on time"), value, change)


def _request_lines(lang: str, now: Cells, old: Cells | None) -> list[Line]:
    fig = now.fig
    out: list[Line] = []
    services = [
        f"{t(lang, CATEGORY_LABELS[Category(key)])} {shown(lang, cell)}"
        for key, cell in now.by_category.items()
        if cell
    ]
    if all(cell is SUPPRESSED for cell in now.by_category.values()):
        services = [shown(lang, SUPPRESSED)]  # withheld whole: one mark, not seven
    if services:
        out.append(Line(t(lang, "Service requests by category"), " · ".join(services)))
    for which, label in (
        ("take", t(lang, "Time to take")),
        ("resolve", t(lang, "Time to resolve")),
        ("close", t(lang, "Time to close")),
    ):
        median, p90 = now.timing(which)
        change = _time_change(lang, median, old.timing(which)[0]) if old else ""
        value = t(
            lang,
            "median {median} · 90% within {p90}",
            median=time_text(lang, median),
            p90=time_text(lang, p90),
        )
        out.append(
            Line(
                label, value if isinstance(median, int | float) else time_text(lang, median), change
            )
        )
    escalated = now.share(fig.escalated, fig.requests)
    out.append(
        Line(
            t(lang, "Escalated past the members"),
            percent(lang, escalated),
            _share_change(lang, escalated, old.share(old.fig.escalated, old.fig.requests))
            if old
            else "",
        )
    )
    if fig.closed:
        by_worker = now.share(fig.closed_by_worker, fig.closed)
        value = t(
            lang,
            "{closed} — confirmed by the worker {worker} · by a secretary {secretary}",
            closed=fig.closed,
            worker=percent(lang, by_worker),
            secretary=percent(lang, now.share(fig.closed_by_secretary, fig.closed)),
        )
        out.append(
            Line(
                t(lang, "Closed"),
                shown(lang, SUPPRESSED) if by_worker is SUPPRESSED else value,
                _share_change(lang, by_worker, old.share(old.fig.closed_by_worker, old.fig.closed))
                if old
                else "",
            )
        )
    if fig.resolved:
        reopened = now.share(fig.reopened, fig.resolved)
        out.append(
            Line(
                t(lang, "Reopened after being resolved"),
                percent(lang, reopened),
                _share_change(lang, reopened, old.share(old.fig.reopened, old.fig.resolved))
                if old
                else "",
            )
        )
    out.append(_satisfaction(lang, now, old))
    return out


def _satisfaction(lang: str, now: Cells, old: Cells | None) -> Line:
    fig = now.fig
    mean = now.stat(fig.rating_mean, fig.rated)
    if any(cell is SUPPRESSED for cell in now.stars.values()):
        mean = SUPPRESSED  # a mean beside a withheld breakdown would rebuild it (14 of 3 = 5,5,4)
    if fig.rated == 0:
        return Line(t(lang, "Satisfaction"), t(lang, "no ratings"))
    if mean is SUPPRESSED:
        return Line(t(lang, "Satisfaction"), shown(lang, mean))
    stars = " · ".join(f"{s}★ {shown(lang, cell)}" for s, cell in now.stars.items())
    mean_text = shown(lang, mean, f"{mean:.1f}" if isinstance(mean, float) else None)
    change = ""
    if old is not None:
        pair = _both(mean, old.stat(old.fig.rating_mean, old.fig.rated))
        change = "" if pair is None else _signed(pair[0] - pair[1], f"{abs(pair[0] - pair[1]):.1f}")
    value = t(
        lang,
        "{mean} / 5 ({n} rated) — {stars}",
        mean=mean_text,
        n=fig.rated,
        stars=stars,
    )
    return Line(t(lang, "Satisfaction"), value, change)
