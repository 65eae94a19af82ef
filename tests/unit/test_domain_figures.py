"""Report periods, percentiles, the suppression rule and which care visits count
(bot/domain/figures.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.figures import (
    BAD_PERIOD,
    SUPPRESSED,
    Period,
    Span,
    count,
    counts,
    nearest_rank,
    next_quarter_start,
    parse_period,
    statistic,
    visit_counted,
    visit_on_time,
)
from bot.domain.refusal import DomainRefusal
from bot.domain.visits import VisitState

SHANGHAI = ZoneInfo("Asia/Shanghai")
MID_DECEMBER = date(2026, 12, 15)


@pytest.mark.parametrize(
    ("written", "today", "label"),
    [
        ("", MID_DECEMBER, "2026-12"),
        ("this-month", MID_DECEMBER, "2026-12"),
        ("本月", MID_DECEMBER, "2026-12"),
        ("  THIS-MONTH ", MID_DECEMBER, "2026-12"),
        ("last-month", MID_DECEMBER, "2026-11"),
        ("上月", MID_DECEMBER, "2026-11"),
        ("last-month", date(2027, 1, 3), "2026-12"),  # across the new year
        ("2026Q4", MID_DECEMBER, "2026Q4"),
        ("2026q4", MID_DECEMBER, "2026Q4"),
        ("2027Q1", MID_DECEMBER, "2027Q1"),  # a future period is allowed: it is empty
        ("2026", MID_DECEMBER, "2026"),
        ("2026-11", MID_DECEMBER, "2026-11"),
        ("2026-1", MID_DECEMBER, "2026-01"),
    ],
)
def test_a_period_is_read_as_written(written: str, today: date, label: str) -> None:
    assert parse_period(written, today).label == label


@pytest.mark.parametrize(
    "written",
    [
        "2026Q5",
        "2026Q0",
        "2026-13",
        "2026-00",
        "1999",
        "2101",
        "26Q4",
        "Q4",
        "2026 Q4",
        "2026/11",
        "2026-11-01",
        "next-month",
        "十二月",
        "🙂",
        "x" * 5000,
    ],
)
def test_a_bad_period_is_refused_with_the_accepted_forms(written: str) -> None:
    with pytest.raises(DomainRefusal) as caught:
        parse_period(written, MID_DECEMBER)
    assert caught.value.msgid == BAD_PERIOD
    shown = str(caught.value.params["text"])
    assert len(shown) <= 40 and written.strip().startswith(shown)
    for form in ("this-month", "last-month", "2026-11", "2026Q4", "2026"):
        assert form in BAD_PERIOD


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (
            Period(2026, Span.QUARTER, 4),
            datetime(2026, 9, 30, 16, tzinfo=UTC),
            datetime(2026, 12, 31, 16, tzinfo=UTC),
        ),
        (
            Period(2026, Span.MONTH, 2),
            datetime(2026, 1, 31, 16, tzinfo=UTC),
            datetime(2026, 2, 28, 16, tzinfo=UTC),
        ),
        (
            Period(2026, Span.YEAR, 1),
            datetime(2025, 12, 31, 16, tzinfo=UTC),
            datetime(2026, 12, 31, 16, tzinfo=UTC),
        ),
    ],
)
def test_bounds_are_the_local_midnights_as_utc(
    period: Period, start: datetime, end: datetime
) -> None:
    assert period.bounds(SHANGHAI) == (start, end)


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (Period(2026, Span.QUARTER, 4), "2026Q3"),
        (Period(2026, Span.QUARTER, 1), "2025Q4"),
        (Period(2026, Span.MONTH, 1), "2025-12"),
        (Period(2026, Span.MONTH, 3), "2026-02"),
        (Period(2026, Span.YEAR, 1), "2025"),
    ],
)
def test_the_previous_period_has_the_same_length(period: Period, previous: str) -> None:
    assert period.previous().label == previous
    assert period.previous().following() == period


@pytest.mark.parametrize(
    ("period", "weeks"),
    [
        # December 2026 begins on a Tuesday: a short first week, then Mondays.
        (Period(2026, Span.MONTH, 12), ["12-01", "12-07", "12-14", "12-21", "12-28"]),
        # February 2027 begins on a Monday and has exactly four weeks.
        (Period(2027, Span.MONTH, 2), ["02-01", "02-08", "02-15", "02-22"]),
    ],
)
def test_weeks_start_on_the_first_day_then_on_mondays(period: Period, weeks: list[str]) -> None:
    assert [d.strftime("%m-%d") for d in period.weeks()] == weeks


def test_a_quarter_and_a_year_have_fourteen_and_fifty_three_weeks() -> None:
    assert len(Period(2026, Span.QUARTER, 4).weeks()) == 14
    assert len(Period(2026, Span.YEAR, 1).weeks()) == 53


@pytest.mark.parametrize(
    ("now", "due", "quarter"),
    [
        (datetime(2026, 12, 1, 0, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC), "2026Q4"),
        # One second before the new year in Shanghai, and the new year itself.
        (
            datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC),
            datetime(2026, 12, 31, 16, tzinfo=UTC),
            "2026Q4",
        ),
        (datetime(2026, 12, 31, 16, tzinfo=UTC), datetime(2027, 3, 31, 16, tzinfo=UTC), "2027Q1"),
        (datetime(2027, 5, 10, 3, tzinfo=UTC), datetime(2027, 6, 30, 16, tzinfo=UTC), "2027Q2"),
    ],
)
def test_the_assessment_falls_at_the_local_midnight_that_begins_the_next_quarter(
    now: datetime, due: datetime, quarter: str
) -> None:
    at, about = next_quarter_start(now, SHANGHAI)
    assert (at, about.label) == (due, quarter)


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        ([], 50, None),
        ([7], 50, 7),
        ([7], 90, 7),
        ([1, 2], 50, 1),  # the lower middle value: a time a request really took
        ([3, 1, 2], 50, 2),
        (list(range(1, 11)), 50, 5),
        (list(range(1, 11)), 90, 9),
        (list(range(1, 12)), 90, 10),  # ceil(0.9 * 11) = 10
        ([5, 5, 5, 100], 90, 100),
        ([1, 2, 3], 100, 3),
    ],
)
def test_nearest_rank_percentiles(values: list[int], pct: int, expected: int | None) -> None:
    assert nearest_rank(values, pct) == expected


@pytest.mark.parametrize(
    ("n", "suppressed", "shown"),
    [(0, True, 0), (1, True, SUPPRESSED), (2, True, SUPPRESSED), (3, True, 3), (2, False, 2)],
)
def test_a_count_of_one_or_two_is_suppressed(n: int, suppressed: bool, shown: object) -> None:
    assert count(n, suppress=suppressed) == shown


@pytest.mark.parametrize(
    ("value", "n", "suppressed", "shown"),
    [
        (120.0, 0, True, None),  # nothing measured
        (None, 5, True, None),
        (120.0, 2, True, SUPPRESSED),
        (120.0, 3, True, 120.0),
        (120.0, 1, False, 120.0),
    ],
)
def test_a_statistic_over_fewer_than_three_is_suppressed(
    value: float | None, n: int, suppressed: bool, shown: object
) -> None:
    assert statistic(value, n, suppress=suppressed) == shown


S = SUPPRESSED


@pytest.mark.parametrize(
    ("cells", "shown"),
    [
        ({"a": 5, "b": 4, "c": 0}, {"a": 5, "b": 4, "c": 0}),
        ({"a": 0, "b": 0, "c": 0}, {"a": 0, "b": 0, "c": 0}),
        # A small cell hides the whole breakdown: {5, ?, 4} of 10 would give it away, and
        # so would the zero in {3, 0, ?} of 5.
        ({"a": 5, "b": 1, "c": 4}, {"a": S, "b": S, "c": S}),
        ({"a": 3, "b": 0, "c": 2}, {"a": S, "b": S, "c": S}),
        ({"a": 3, "b": 1, "c": 1}, {"a": S, "b": S, "c": S}),
    ],
)
def test_a_breakdown_with_a_small_cell_is_withheld_whole(
    cells: dict[str, int], shown: dict[str, object]
) -> None:
    assert counts(cells, suppress=True) == shown
    assert counts(cells, suppress=False) == cells


# Thursday 2026-11-12, 10:00 in Shanghai: the fourth quarter is running.
MID_QUARTER = datetime(2026, 11, 12, 2, tzinfo=UTC)
GRACE = timedelta(days=3)


def _grace_end(day: date) -> datetime:
    """Three days after the end of the visit's local day, as the plans' rule has it."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), SHANGHAI) + GRACE


@pytest.mark.parametrize(
    ("due_on", "state", "counted"),
    [
        # Still to come: not late, whatever their state says (a visit logged early too).
        (date(2026, 11, 20), VisitState.DUE, False),
        (date(2026, 12, 28), VisitState.DUE, False),
        (date(2026, 11, 13), VisitState.DONE, False),
        # Today, not yet logged: the visitor has the day and the grace after it.
        (date(2026, 11, 12), VisitState.DUE, False),
        (date(2026, 11, 12), VisitState.DONE, True),
        # Two days ago, unlogged but within grace: it may yet be done on time.
        (date(2026, 11, 10), VisitState.DUE, False),
        # Grace over (the deadline not yet fired), escalated, or done: its outcome is known.
        (date(2026, 11, 5), VisitState.DUE, True),
        (date(2026, 11, 10), VisitState.MISSED, True),
        (date(2026, 10, 3), VisitState.DONE, True),
        (date(2026, 10, 3), VisitState.CANCELLED, False),
    ],
)
def test_a_visit_counts_towards_the_on_time_share_only_once_its_outcome_is_known(
    due_on: date, state: VisitState, counted: bool
) -> None:
    assert visit_counted(due_on, state, _grace_end(due_on), MID_QUARTER, SHANGHAI) is counted


def test_three_visits_still_to_come_leave_a_running_quarter_with_none_due_not_zero_percent() -> (
    None
):
    to_come = [date(2026, 11, 21), date(2026, 12, 5), date(2026, 12, 19)]
    counted = [
        d for d in to_come if visit_counted(d, VisitState.DUE, _grace_end(d), MID_QUARTER, SHANGHAI)
    ]
    assert counted == []
    after = datetime(2027, 1, 2, 16, tzinfo=UTC)  # the quarter over, every grace run out
    assert all(visit_counted(d, VisitState.DUE, _grace_end(d), after, SHANGHAI) for d in to_come)


def test_the_day_of_a_visit_is_the_local_day() -> None:
    """At 2026-11-11 16:30 UTC it is already the 12th in Shanghai: a visit of the 12th
    logged done counts; at 15:59 UTC (23:59 the 11th) it has not come yet."""
    day = date(2026, 11, 12)
    before, after = (
        datetime(2026, 11, 11, 15, 59, tzinfo=UTC),
        datetime(2026, 11, 11, 16, 30, tzinfo=UTC),
    )
    assert not visit_counted(day, VisitState.DONE, _grace_end(day), before, SHANGHAI)
    assert visit_counted(day, VisitState.DONE, _grace_end(day), after, SHANGHAI)


@pytest.mark.parametrize(
    ("state", "level", "on_time"),
    [
        (VisitState.DONE, 0, True),
        (VisitState.DONE, 1, False),  # logged only after the secretary was told
        (VisitState.MISSED, 1, False),
        (VisitState.DUE, 0, False),
    ],
)
def test_a_visit_is_on_time_when_done_before_any_escalation(
    state: VisitState, level: int, on_time: bool
) -> None:
    assert visit_on_time(state, level) is on_time
