"""Charts draw Chinese with real glyphs: the bundled CJK font is found, and nothing is a box;
a chart with nothing to draw says so; lines that coincide stay distinguishable.

matplotlib warns "Glyph … missing from font(s)" for each character it draws as a box; the
suite turns that warning into an error (pyproject.toml), and these tests check it directly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from bot.texts import charts

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHINESE = "接单时间 · 仓储部支部 · 码头机修支部 · 分钟"
NO_DATA = "no data"


def _bar(*args: Any, **kwargs: Any) -> bytes:
    return charts.png(charts.bar_figure(*args, **kwargs))


def _line(*args: Any, **kwargs: Any) -> bytes:
    return charts.png(charts.line_figure(*args, **kwargs))


def _missing_glyphs(draw: Callable[[], bytes]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = draw()
    assert png.startswith(b"\x89PNG")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_the_cjk_font_ships_with_the_bot_and_matplotlib_finds_it() -> None:
    from matplotlib import font_manager

    path = charts.cjk_font_file()
    assert path.is_file()
    charts.fonts()
    found = font_manager.findfont(
        font_manager.FontProperties(family=charts.CJK_FONT), fallback_to_default=False
    )
    assert found == str(path)


@pytest.mark.parametrize(
    "draw",
    [
        lambda: _bar(
            CHINESE,
            ["仓储部支部", "码头机修支部"],
            [3, None],
            "分钟",
            ["3 分钟", "n<3"],
            no_data="暂无数据",
        ),
        lambda: _line(
            CHINESE,
            ["第1周", "第2周"],
            {"仓储部支部": [1, 2], "码头机修支部": [None, 4]},
            "件",
            no_data="暂无数据",
        ),
        lambda: _line(CHINESE, ["第1周"], {"仓储部支部": [None]}, "件", no_data="暂无数据"),
    ],
    ids=["bar", "line", "no data"],
)
def test_a_chart_in_chinese_has_no_missing_glyph(draw: Callable[[], bytes]) -> None:
    assert _missing_glyphs(draw) == []


def test_a_missing_glyph_is_caught() -> None:
    """The check above can fail: a character no font here has is reported."""
    missing = _missing_glyphs(lambda: _bar("\U0001fab8", ["a"], [1], "x", no_data=NO_DATA))
    assert missing and "129720" in missing[0]


@pytest.mark.parametrize("label", ["$5 补贴", "a $x^2$ b", "$", "$$", "_hidden", r"\frac{1}{2}"])
def test_labels_from_the_roster_are_drawn_as_plain_text(label: str) -> None:
    """A branch called "$5 补贴" (an unbalanced "$" is a TeX error to matplotlib) or "_x"
    (a hidden legend entry) is drawn as written and never fails the chart."""
    png = b"\x89PNG\r\n\x1a\n"
    bar = _bar(label, [label, "ok"], [1, 2], label, [label, "2"], no_data=label)
    assert bar.startswith(png)
    assert _line(label, [label, "w2"], {label: [1, None]}, label, no_data=label)[:8] == png
    assert _bar(label, [label], [None], label, no_data=label).startswith(png)
    assert charts.plain(label).replace("\\$", "$").removeprefix("\u200b") == label


def test_a_survey_whose_texts_look_like_tex_still_closes_with_its_charts() -> None:
    from bot.domain.survey import Question, QuestionKind, tally
    from bot.texts.survey_charts import result_charts

    questions = [
        Question("Is the $200 canteen subsidy enough?", QuestionKind.SCALE),
        Question("Which $$ plan?", QuestionKind.CHOICE, ("$5", "_none", r"\frac")),
    ]
    counts = {(0, "4"): 5, (1, "1"): 3, (1, "2"): 2}
    charts_made = result_charts("en", "Survey $ 2026", tally(questions, 9, 5, counts))
    assert charts_made and all(png.startswith(b"\x89PNG") for png, _caption in charts_made)


def _texts(fig: Figure) -> list[str]:
    return [text.get_text() for ax in fig.axes for text in ax.texts]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: charts.bar_figure(
            "t", ["a", "b"], [None, None], "min", ["n<3", "—"], no_data=NO_DATA
        ),
        lambda: charts.bar_figure("t", [], [], "min", no_data=NO_DATA),
        lambda: charts.line_figure("t", ["w1", "w2"], {"a": [None, None]}, "n", no_data=NO_DATA),
        lambda: charts.line_figure("t", ["w1", "w2"], {}, "n", no_data=NO_DATA),
        lambda: charts.line_figure("t", [], {"a": []}, "n", no_data=NO_DATA),
    ],
    ids=["bars all withheld", "no bars", "line all withheld", "no series", "no weeks"],
)
def test_a_chart_with_nothing_to_draw_says_no_data_instead_of_an_empty_axis(
    draw: Callable[[], Figure],
) -> None:
    fig = draw()
    (ax,) = fig.axes
    assert _texts(fig) == [NO_DATA]
    (said,) = ax.texts
    assert said.get_position() == (0.5, 0.5)
    assert (said.get_horizontalalignment(), said.get_verticalalignment()) == ("center", "center")
    assert not ax.axison and not ax.patches and not ax.lines
    assert ax.get_title() == "t"


def test_a_chart_with_data_says_nothing_of_no_data() -> None:
    bars = charts.bar_figure(
        "t", ["a", "b"], [None, 2.5], "min", ["n<3", "2.5 min"], no_data=NO_DATA
    )
    assert NO_DATA not in _texts(bars) and bars.axes[0].axison
    line = charts.line_figure("t", ["w1"], {"a": [0], "b": [None]}, "n", no_data=NO_DATA)
    assert NO_DATA not in _texts(line) and len(line.axes[0].lines) == 2


def test_coinciding_weekly_lines_stay_distinguishable() -> None:
    """Two branches with the same weekly counts: both lines are drawn, each with its own
    marker and dash, the later one thinner and smaller on top and a little transparent,
    so the one underneath still shows around it; the legend names both with their marker."""
    same = [3.0, 5.0, 0.0, 4.0]
    fig = charts.line_figure(
        "t",
        ["w1", "w2", "w3", "w4"],
        {"仓储部支部": same, "码头机修支部": same},
        "n",
        no_data=NO_DATA,
    )
    under, over = fig.axes[0].lines
    assert np.asarray(under.get_ydata()).tolist() == np.asarray(over.get_ydata()).tolist() == same
    assert under.get_marker() != over.get_marker()
    assert under.get_linestyle() != over.get_linestyle()
    assert under.get_markersize() > over.get_markersize()
    assert under.get_linewidth() > over.get_linewidth()
    assert over.get_zorder() > under.get_zorder()
    assert all(0 < (line.get_alpha() or 1) < 1 for line in (under, over))
    legend = fig.axes[0].get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == ["仓储部支部", "码头机修支部"]
    assert [h.get_marker() for h in legend.legend_handles] == [  # type: ignore[union-attr]
        under.get_marker(),
        over.get_marker(),
    ]


def test_every_series_of_a_company_has_its_own_marker_and_adjacent_ones_their_own_dash() -> None:
    styles = [charts.line_style(i, 8) for i in range(8)]
    assert len({s.marker for s in styles}) == 8
    assert all(a.dash != b.dash for a, b in pairwise(styles))
    assert [s.size for s in styles] == sorted((s.size for s in styles), reverse=True)
    assert charts.line_style(0, 1).size == charts.BIGGEST
