"""The report's charts: the time-to-take bars in one unit for the axis and every label, and
"no data" (in the reader's language) where there is nothing to draw."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.figures import SUPPRESSED, BranchFigures, Period, Report, Span, Timing
from bot.i18n import t
from bot.texts import report_charts
from bot.texts.report_charts import time_bars
from bot.texts.report_render import Cell

EN = "en"
Q4 = Period(2026, Span.QUARTER, 4)


@pytest.mark.parametrize(
    ("cells", "unit", "labels"),
    [
        ([45, 30], "seconds", ["45 s", "30 s"]),
        ([45, 180], "minutes", ["0.8 min", "3 min"]),  # not "45 s" beside an axis in minutes
        ([150, 720], "minutes", ["2.5 min", "12 min"]),
        ([SUPPRESSED, None, 7200], "hours", ["n<3", "—", "2 h"]),
        ([3 * 86400, 3600], "days", ["3 d", "0 d"]),
        ([None, None], "seconds", ["—", "—"]),
    ],
)
def test_the_time_bars_use_one_unit_for_the_axis_and_every_label(
    cells: list[Cell], unit: str, labels: list[str]
) -> None:
    bars = time_bars(EN, cells)
    assert (bars.unit, bars.labels) == (unit, labels)
    size = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}[unit]
    expected = [c / size if isinstance(c, int | float) else None for c in cells]
    assert bars.heights == pytest.approx(expected)


def test_the_units_are_translated() -> None:
    bars = time_bars("zh", [90, 600])
    assert bars.unit == t("zh", "minutes") == "分钟"
    assert bars.labels == [t("zh", "{n} min", n="1.5"), t("zh", "{n} min", n="10")]
    assert t("zh", report_charts.NO_DATA) == "暂无数据"


def _branch(branch_id: int, name: str, take: Timing, weekly: list[int]) -> BranchFigures:
    return BranchFigures(branch_id, name, requests=sum(weekly), take=take, weekly=weekly)


def test_the_report_draws_the_take_times_in_the_unit_of_its_labels() -> None:
    report = Report(
        Q4,
        [date(2026, 10, 1)],
        [
            _branch(1, "仓储部支部", Timing(5, 45, 90), [5]),
            _branch(2, "码头机修支部", Timing(5, 240, 600), [5]),
        ],
    )
    bars, lines = report_charts.planned(EN, report, suppress=True)
    assert isinstance(bars, report_charts.Bars) and isinstance(lines, report_charts.Lines)
    assert bars.unit == "minutes" and bars.value_labels == ["0.8 min", "4 min"]
    assert bars.heights == pytest.approx([0.75, 4.0])
    fig = report_charts.figure(bars)
    assert [text.get_text() for text in fig.axes[0].texts] == ["0.8 min", "4 min"]
    assert fig.axes[0].get_ylabel() == "minutes"


def test_a_report_with_every_figure_withheld_says_so_in_the_readers_language() -> None:
    """Two branches of two requests each (a supervisor's view): no bar and no line may be
    drawn, and the charts say why in Chinese - withheld, not "no data", which would say
    nothing happened."""
    report = Report(
        Q4,
        [date(2026, 10, 1), date(2026, 10, 5)],
        [
            _branch(1, "仓储部支部", Timing(2, 45, 90), [1, 1]),
            _branch(2, "码头机修支部", Timing(2, 240, 600), [2, 0]),
        ],
    )
    bars, lines = report_charts.planned("zh", report, suppress=True)
    assert isinstance(bars, report_charts.Bars) and isinstance(lines, report_charts.Lines)
    assert bars.heights == [None, None] and bars.value_labels == ["n<3", "n<3"]
    assert all(v is None for values in lines.series.values() for v in values)
    withheld = t("zh", report_charts.WITHHELD)
    assert bars.no_data == lines.no_data == withheld == "已隐去：每个都少于 3 条求助"
    for plan in (bars, lines):
        texts = [text.get_text() for text in report_charts.figure(plan).axes[0].texts]
        assert texts == [withheld]


def test_a_chart_with_nothing_at_all_says_no_data() -> None:
    """Two branches, neither with a take timed yet: nothing withheld, nothing measured."""
    report = Report(
        Q4,
        [date(2026, 10, 1)],
        [_branch(1, "仓储部支部", Timing(), [0]), _branch(2, "码头机修支部", Timing(), [0])],
    )
    (bars,) = report_charts.planned(EN, report, suppress=True)
    assert isinstance(bars, report_charts.Bars) and bars.no_data == "no data"
    assert [x.get_text() for x in report_charts.figure(bars).axes[0].texts] == ["no data"]
