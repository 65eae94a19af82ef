"""The figures in words: times for a phone, withheld figures, changes against before."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.figures import BranchFigures, Period, Report, Span, Timing
from bot.texts.report_render import Line, duration, lines
from bot.texts.report_text import compact, fitting, text

EN = "en"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (90, "2 min"),
        (59 * 60, "59 min"),
        (3600 * 3.5, "3.5 h"),
        (3600 * 12, "12 h"),
        (3600 * 47, "47 h"),
        (86400 * 2.5, "2.5 d"),
        (86400 * 30, "30 d"),
    ],
)
def test_times_read_as_a_phone_shows_them(seconds: float, shown: str) -> None:
    assert duration(EN, seconds) == shown


def _branch(requests: int, **extra: object) -> BranchFigures:
    values: dict[str, object] = {
        "by_kind": {"120": requests, "110": 0, "service": 0},
        "by_category": {},
        "take": Timing(requests, 120, 300),
        "resolve": Timing(requests, 3600, 7200),
        "close": Timing(requests, 7200, 9000),
        "closed": requests,
        "closed_by_worker": requests,
        "resolved": requests,
        "ratings": {5: requests},
        "rating_sum": 5 * requests,
        **extra,
    }
    return BranchFigures(1, "仓储部支部", requests=requests, **values)  # type: ignore[arg-type]


def _by_label(found: list[Line]) -> dict[str, Line]:
    return {line.label: line for line in found}


def test_every_figure_is_shown_to_those_who_see_the_requests() -> None:
    found = _by_label(lines(EN, _branch(2), suppress=False))
    assert found["Requests"].value == "2 — 120: 2 · 110: 0 · service: 0"
    assert found["Time to take"].value == "median 2 min · 90% within 5 min"
    assert found["Satisfaction"].value.startswith("5.0 / 5 (2 rated)")


def test_a_branch_with_fewer_than_three_requests_shows_only_that() -> None:
    found = lines(EN, _branch(2), suppress=True)
    assert found == [Line("Requests", "n<3")]


def test_a_figure_over_fewer_than_three_is_withheld_the_rest_shown() -> None:
    """Shares whose part or rest is 1 or 2 and a mean beside a withheld breakdown go too."""
    branch = _branch(
        6,
        take=Timing(2, 60, 90),
        ratings={5: 1, 4: 5},
        rating_sum=25,
        escalated=1,
    )
    found = _by_label(lines(EN, branch, suppress=True))
    assert found["Requests"].value.startswith("6 — 120: 6")
    assert found["Time to take"].value == "n<3"
    # 1 of 6: "17%" of a shown total of 6 would name the one escalated request.
    assert found["Escalated past the members"].value == "n<3"
    # 1 five-star rating: the distribution is withheld, and the mean with it (4.2 of 6
    # would give the distribution back: one 5 and five 4s).
    assert found["Satisfaction"].value == "n<3"


def test_changes_against_the_previous_period() -> None:
    now = _branch(5, take=Timing(5, 180, 400), escalated=2)
    before = _branch(3, take=Timing(3, 240, 400), escalated=0)
    found = _by_label(lines(EN, now, before, suppress=False))
    assert found["Requests"].change == "+2"
    assert found["Time to take"].change == "−1 min"
    assert found["Escalated past the members"].change == "+40 pt"
    assert found["Satisfaction"].change == "±0.0"


def test_no_change_is_given_where_either_side_is_withheld() -> None:
    found = _by_label(lines(EN, _branch(5), _branch(2), suppress=True))
    assert found["Requests"].change == ""
    assert found["Time to take"].change == ""


def test_the_text_names_each_branch_and_the_unbranched_requests() -> None:
    period = Period(2026, Span.QUARTER, 4)
    report = Report(period, period.weeks(), [_branch(4), BranchFigures(None, "", weekly=[0] * 14)])
    shown = text(EN, "header", report, suppress=True)
    assert shown.startswith("header\n\n🏢 仓储部支部\n  Requests: 4")
    assert "🏢 Not in the roster\n  No requests and no visits in this period." in shown
    assert report.period.first == date(2026, 10, 1)


def test_a_company_too_big_for_one_message_gets_a_line_per_branch() -> None:
    period = Period(2026, Span.QUARTER, 4)
    small = Report(period, period.weeks(), [_branch(4), _branch(5)])
    assert fitting(EN, "header", small, suppress=False) == text(EN, "header", small, suppress=False)
    big = Report(period, period.weeks(), [_branch(4 + i % 3) for i in range(40)])
    shown = fitting(EN, "header", big, suppress=True)
    assert len(shown) <= 4096 and shown == compact(EN, "header", big, suppress=True)
    _header, legend, *rows = shown.splitlines()
    assert legend.startswith("One line per branch") and len(rows) == 40
    assert rows[0] == "🏢 仓储部支部: 4 · 2 min / 5 min · 1 h · 0% · 0% · ★5.0 · —"


@pytest.mark.parametrize(
    ("due", "on_time", "ahead", "shown"),
    [
        # A running quarter whose three visits are all still to come: none due, not "0 %".
        (0, 0, 3, "no visits due yet"),
        (6, 3, 2, "50% of 6 due; 2 still to come"),  # the two to come: said, not counted
        (4, 0, 0, "0% of 4 due"),  # due and not done: that is a real 0 %
    ],
)
def test_care_visits_count_only_those_already_due(
    due: int, on_time: int, ahead: int, shown: str
) -> None:
    branch = _branch(4, visits_due=due, visits_on_time=on_time, visits_ahead=ahead)
    for suppress in (False, True):
        assert _by_label(lines(EN, branch, suppress=suppress))["Care visits on time"].value == shown
    assert "Care visits on time" not in _by_label(lines(EN, _branch(4), suppress=False))


def test_a_branch_with_only_visits_to_come_is_not_called_empty() -> None:
    branch = _branch(0, visits_ahead=2)
    assert not branch.empty and BranchFigures(1, "仓储部支部").empty
    assert _by_label(lines("zh", branch, suppress=True))["按时探视"].value == "暂无到期的探视"
