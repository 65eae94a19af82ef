"""Small texts every message shares: how long something waited, names in a row."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.texts.render import age_text, names_list, waited_text


@pytest.mark.parametrize(
    ("lang", "seconds", "shown"),
    [
        ("en", 3, "3 s"),  # the demo's chain escalates after 3 s
        ("en", 30, "30 s"),  # not "1 min"
        ("zh", 30, "30 秒"),
        ("en", 0, "1 s"),  # never "just now": it has waited
        ("en", 60, "1 min"),
        ("en", 150, "2 min"),
        ("zh", 3 * 3600 + 5 * 60, "3 小时 5 分钟"),
    ],
)
def test_a_wait_says_seconds_under_a_minute(lang: str, seconds: int, shown: str) -> None:
    assert waited_text(lang, timedelta(seconds=seconds)) == shown


def test_an_age_under_a_minute_is_just_now() -> None:
    assert age_text("en", timedelta(seconds=30)) == "just now"


def test_names_are_joined_as_the_language_joins_them() -> None:
    assert names_list("en", ["Li Qiang", "Wang Fang"]) == "Li Qiang, Wang Fang"
    assert names_list("zh", ["李强", "王芳"]) == "李强、王芳"
