"""Charts draw Chinese with real glyphs: the bundled CJK font is found, and nothing is a box.

matplotlib warns "Glyph … missing from font(s)" for each character it draws as a box; the
suite turns that warning into an error (pyproject.toml), and these tests check it directly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from bot.texts import charts

CHINESE = "接单时间 · 仓储部支部 · 码头机修支部 · 分钟"


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
        lambda: charts.bar_chart(
            CHINESE, ["仓储部支部", "码头机修支部"], [3, None], "分钟", ["3 分钟", "n<3"]
        ),
        lambda: charts.line_chart(
            CHINESE, ["第1周", "第2周"], {"仓储部支部": [1, 2], "码头机修支部": [None, 4]}, "件"
        ),
    ],
    ids=["bar", "line"],
)
def test_a_chart_in_chinese_has_no_missing_glyph(draw: Callable[[], bytes]) -> None:
    assert _missing_glyphs(draw) == []


def test_a_missing_glyph_is_caught() -> None:
    """The check above can fail: a character no font here has is reported."""
    missing = _missing_glyphs(lambda: charts.bar_chart("\U0001fab8", ["a"], [1], "x"))
    assert missing and "129720" in missing[0]


@pytest.mark.parametrize("label", ["$5 补贴", "a $x^2$ b", "$", "$$", "_hidden", r"\frac{1}{2}"])
def test_labels_from_the_roster_are_drawn_as_plain_text(label: str) -> None:
    """A branch called "$5 补贴" (an unbalanced "$" is a TeX error to matplotlib) or "_x"
    (a hidden legend entry) is drawn as written and never fails the chart."""
    png = b"\x89PNG\r\n\x1a\n"
    assert charts.bar_chart(label, [label, "ok"], [1, 2], label, [label, "2"]).startswith(png)
    assert charts.line_chart(label, [label, "w2"], {label: [1, None]}, label).startswith(png)
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
