"""The figures a branch is judged by: report periods, percentiles and the suppression rule.

Pure rules, so the calendar maths and what a supervisor may see are tested without a
database or a clock.

**Periods** are whole local months, quarters or years in the configured time zone; their
bounds are the local midnights that begin and end them, as UTC instants ([start, end)).
The previous period has the same length (the quarter before a quarter), so "change
against the previous quarter" compares like with like.

**Percentiles** use the nearest-rank definition over the requests that have the fact (a
time to take exists only for requests someone took): the p-th percentile is the smallest
value with at least p % of the values at or below it, i.e. the ``ceil(p * n / 100)``-th
value in ascending order. The median is the 50th percentile, so for an even count it is
the lower of the two middle values: always a time some request really took, never an
average of two. ``storage/report_queries.py`` computes the same in SQL; ``nearest_rank``
here is the reference the tests hold it to.

**Suppression** (figures anyone outside the branch's own people may read): a figure that
describes fewer than ``MIN_N`` requests (or visits, or ratings) is shown as suppressed - a
count of 1 or 2, and a median, share or mean over fewer than 3. A zero is shown: it
describes nobody. A breakdown of a shown total (requests by kind, by category, ratings by
stars) with any cell of 1 or 2 is withheld whole, zeros included: hiding only the small
cells would let a reader work them out from the total and the cells still shown. A branch
with fewer than 3 requests in the period shows nothing but that.

**Care visits on time** are judged only once they can be: a visit whose day has not come,
or that is not yet logged and still within its grace, could yet be done on time, so it is
left out of the share rather than counted as late (``visit_counted``). A running quarter
with three visits still to come has no visits due yet, not "0 % of 3".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum, StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.domain.marker import N_
from bot.domain.refusal import DomainRefusal
from bot.domain.visits import VisitState

MIN_N = 3  # fewer requests (visits, ratings) than this behind a figure: suppressed
FIRST_YEAR, LAST_YEAR = 2000, 2100  # periods the help line can have figures for

K = TypeVar("K")


class Span(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


BAD_PERIOD = N_(
    "I do not know the period “{text}”. Write one of: this-month (本月), last-month (上月), "
    "a month such as 2026-11, a quarter such as 2026Q4, a year such as 2026; "
    "nothing means this month."
)


@dataclass(frozen=True)
class Period:
    """A whole local month, quarter or year."""

    year: int
    span: Span
    index: int  # the month (1-12), the quarter (1-4), or 1 for a year

    @staticmethod
    def month_of(day: date) -> Period:
        return Period(day.year, Span.MONTH, day.month)

    @staticmethod
    def quarter_of(day: date) -> Period:
        return Period(day.year, Span.QUARTER, (day.month - 1) // 3 + 1)

    @property
    def months(self) -> int:
        return {Span.MONTH: 1, Span.QUARTER: 3, Span.YEAR: 12}[self.span]

    @property
    def first(self) -> date:
        """The first local day of the period."""
        month = {Span.MONTH: self.index, Span.QUARTER: 3 * self.index - 2, Span.YEAR: 1}
        return date(self.year, month[self.span], 1)

    @property
    def end(self) -> date:
        """The first local day after the period."""
        return _add_months(self.first, self.months)

    @property
    def label(self) -> str:
        if self.span is Span.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.span is Span.QUARTER:
            return f"{self.year}Q{self.index}"
        return str(self.year)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return self._at(_add_months(self.first, -self.months))

    def following(self) -> Period:
        return self._at(self.end)

    def _at(self, first: date) -> Period:
        if self.span is Span.MONTH:
            return Period.month_of(first)
        if self.span is Span.QUARTER:
            return Period.quarter_of(first)
        return Period(first.year, Span.YEAR, 1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants: the local midnights that begin and end it."""
        return local_midnight(self.first, tz), local_midnight(self.end, tz)

    def weeks(self) -> list[date]:
        """The local first days of the trend line's weeks: the period's first day, then every
        Monday within it (so the first and last week may be short)."""
        starts = [self.first]
        day = self.first + timedelta(days=7 - self.first.weekday())
        while day < self.end:
            starts.append(day)
            day += timedelta(days=7)
        return starts


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


_QUARTER = re.compile(r"(\d{4})q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
THIS_MONTH = frozenset({"", "this-month", "本月"})
LAST_MONTH = frozenset({"last-month", "上月"})


def parse_period(text: str, today: date) -> Period:
    """Read a period as a user writes it (``today`` is the local date); refuse with the
    accepted forms otherwise."""
    word = text.strip().lower()
    if word in THIS_MONTH:
        return Period.month_of(today)
    if word in LAST_MONTH:
        return Period.month_of(today).previous()
    found: Period | None = None
    if match := _QUARTER.fullmatch(word):
        found = Period(int(match.group(1)), Span.QUARTER, int(match.group(2)))
    elif (match := _MONTH.fullmatch(word)) and 1 <= int(match.group(2)) <= 12:
        found = Period(int(match.group(1)), Span.MONTH, int(match.group(2)))
    elif _YEAR.fullmatch(word):
        found = Period(int(word), Span.YEAR, 1)
    if found is None or not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise DomainRefusal(BAD_PERIOD, text=text.strip()[:40])
    return found


def next_quarter_start(now: datetime, tz: ZoneInfo) -> tuple[datetime, Period]:
    """When the next quarter begins after ``now`` (its local midnight, as UTC), and the
    quarter that ends then - the one the assessment at that moment is about."""
    current = Period.quarter_of(now.astimezone(tz).date())
    return local_midnight(current.end, tz), current


def nearest_rank(values: Sequence[int], pct: int) -> int | None:
    """The nearest-rank ``pct``-th percentile (see the module's docstring); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-pct * len(ordered) // 100)  # ceil without floats
    return ordered[max(rank, 1) - 1]


class Hidden(Enum):
    """A figure withheld because fewer than ``MIN_N`` requests are behind it."""

    SUPPRESSED = "suppressed"


SUPPRESSED = Hidden.SUPPRESSED


def statistic(value: float | None, n: int, *, suppress: bool) -> float | Hidden | None:
    """A median, share or mean over ``n`` items; None when there is nothing to measure."""
    if n == 0 or value is None:
        return None
    if suppress and n < MIN_N:
        return SUPPRESSED
    return value


def count(n: int, *, suppress: bool) -> int | Hidden:
    return SUPPRESSED if suppress and 0 < n < MIN_N else n


def counts(cells: Mapping[K, int], *, suppress: bool) -> dict[K, int | Hidden]:
    """A breakdown (by kind, by category, by stars) of a shown total: withheld whole when
    any cell is 1 or 2, zeros too, so no cell can be had from the total and the others."""
    if suppress and any(0 < v < MIN_N for v in cells.values()):
        return dict.fromkeys(cells, SUPPRESSED)
    return dict(cells)


# A visit in one of these states has its outcome, whatever its grace says: done (on time
# when never escalated), or missed (escalated: late even if logged afterwards).
DECIDED_VISITS = frozenset({VisitState.DONE, VisitState.MISSED})


def visit_counted(
    due_on: date, state: VisitState, grace_until: datetime, now: datetime, tz: ZoneInfo
) -> bool:
    """Whether a visit due on ``due_on`` (after any postponement) counts towards the
    on-time share at ``now``: its local day has come and its outcome is known (logged
    done, escalated, or its grace has run out). Cancelled visits never count.

    ``storage/report_queries.py`` applies the same rule in SQL; this is the reference its
    tests hold it to. A visit still to come is left out, not counted as not done: else a
    running period shows "0 % of 3" for three visits nobody could have made yet.
    """
    if state is VisitState.CANCELLED or due_on > now.astimezone(tz).date():
        return False
    return state in DECIDED_VISITS or grace_until <= now


def visit_on_time(state: VisitState, escalation_level: int) -> bool:
    """A counted visit is on time when it was logged done before anyone was alerted."""
    return state is VisitState.DONE and escalation_level == 0


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Timing:
    """A time from raised (seconds): how many requests have it, its median and p90."""

    n: int = 0
    median: int | None = None
    p90: int | None = None


@dataclass(frozen=True)
class BranchFigures:
    """One branch's facts for a period (``branch_id`` None: senders no branch serves)."""

    branch_id: int | None
    name: str
    requests: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    take: Timing = Timing()
    resolve: Timing = Timing()
    close: Timing = Timing()
    escalated: int = 0
    closed: int = 0
    closed_by_worker: int = 0
    closed_by_secretary: int = 0
    resolved: int = 0  # marked resolved at least once: the reopen rate's denominator
    reopened: int = 0  # of those, sent back at least once
    ratings: dict[int, int] = field(default_factory=dict)  # stars 1-5 -> how many
    rating_sum: int = 0
    visits_due: int = 0  # visits counted at the report's instant (``visit_counted``)
    visits_on_time: int = 0  # of those, done before any escalation
    visits_ahead: int = 0  # the period's other visits (not cancelled): still to come
    weekly: list[int] = field(default_factory=list)  # requests per week of ``Report.weeks``

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def rating_mean(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def empty(self) -> bool:
        return not (self.requests or self.visits_due or self.visits_ahead)


@dataclass(frozen=True)
class Report:
    """Every branch's figures for one period, in the roster's order of branches."""

    period: Period
    weeks: list[date]
    branches: list[BranchFigures]

    def only(self, branch_ids: frozenset[int]) -> Report:
        kept = [b for b in self.branches if b.branch_id in branch_ids]
        return Report(self.period, self.weeks, kept)
