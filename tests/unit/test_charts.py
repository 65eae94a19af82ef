"""Charts draw Chinese with real glyphs: the bundled CJK font is found, and nothing is a box.

matplotlib warns "Glyph … missing from font(s)" for each character it draws as a box; the
suite turns that warning into an error (pyproject.toml), and these tests check it directly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from bot import charts

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
