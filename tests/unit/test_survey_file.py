"""The survey file: a good file reads back whole; every bad one is refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.survey import Question, QuestionKind
from bot.files.survey_file import SurveyFileError, parse_survey

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "survey.yaml"

# Line numbers below refer to this text; keep it in step with the table.
GOOD = """\
key: yearly-2026
title: 2026 年度职工意见调查
intro: 匿名填写
remind_after: 2d
questions:
  - text: 支部的反应速度如何？
    scale: 5
  - text: 你最常找支部做什么？
    choices: [医药费报销, 劳保用品, 保险理赔]
  - {text: 总体打几分？, scale: 5}
"""


def edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def test_a_good_file_reads_back_whole() -> None:
    spec = parse_survey(GOOD, "s.yaml", lang="en")
    assert (spec.key, spec.title, spec.intro, spec.remind_after) == (
        "yearly-2026",
        "2026 年度职工意见调查",
        "匿名填写",
        "2d",
    )
    assert spec.questions == (
        Question("支部的反应速度如何？", QuestionKind.SCALE),
        Question(
            "你最常找支部做什么？", QuestionKind.CHOICE, ("医药费报销", "劳保用品", "保险理赔")
        ),
        Question("总体打几分？", QuestionKind.SCALE),
    )


def test_intro_and_remind_after_are_optional() -> None:
    text = edit("intro: 匿名填写\nremind_after: 2d\n", "")
    spec = parse_survey(text, "s.yaml", lang="en")
    assert (spec.intro, spec.remind_after) == ("", "3d")


def test_the_example_survey_is_good() -> None:
    spec = parse_survey(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE), lang="zh")
    assert spec.key == "yearly-2026" and 5 <= len(spec.questions) <= 30
    kinds = {q.kind for q in spec.questions}
    assert kinds == {QuestionKind.SCALE, QuestionKind.CHOICE}


def _many(count: int) -> str:
    lines = "".join(f"  - {{text: q{i}, scale: 5}}\n" for i in range(count))
    return "key: k\ntitle: t\nquestions:\n" + lines


BAD: list[tuple[str, str, int | None, str]] = [
    ("invalid yaml", edit("保险理赔]", "保险理赔"), 10, "not valid YAML"),
    ("duplicate key", edit("title: 2026", "key: again\ntitle: 2026"), 2, "'key' is written twice"),
    ("not a mapping", "- a\n- b\n", 1, "a survey file is a mapping"),
    ("unknown field", edit("intro:", "note: x\nintro:"), 3, "unknown field 'note'"),
    ("no key", edit("key: yearly-2026\n", ""), 1, "'key' is required"),
    ("key with space", edit("key: yearly-2026", "key: yearly 2026"), 1, "single word"),
    ("no title", edit("title: 2026 年度职工意见调查\n", ""), 1, "'title' is required"),
    ("long title", edit("title: 2026 年度职工意见调查", "title: " + "长" * 201), 2, "200"),
    ("long intro", edit("intro: 匿名填写", "intro: " + "长" * 1001), 3, "1000"),
    ("bad duration", edit("remind_after: 2d", "remind_after: soon"), 4, "not a duration"),
    ("too soon", edit("remind_after: 2d", "remind_after: 10m"), 4, "between 1h and 30d"),
    ("too late", edit("remind_after: 2d", "remind_after: 31d"), 4, "between 1h and 30d"),
    ("no questions", edit("questions:\n", "qs:\n"), 5, "unknown field 'qs'"),
    ("questions empty", "key: k\ntitle: t\nquestions: []\n", 3, "at least one question"),
    ("31 questions", _many(31), 3, "at most 30 questions; this one has 31"),
    (
        "question not a mapping",
        edit("  - {text: 总体打几分？, scale: 5}", "  - 总体"),
        10,
        "mapping",
    ),
    ("no text", edit("  - text: 支部的反应速度如何？\n    scale: 5", "  - scale: 5"), 6, "'text'"),
    ("long text", edit("text: 支部的反应速度如何？", "text: " + "问" * 301), 6, "300"),
    ("scale not 5", edit("    scale: 5\n", "    scale: 10\n"), 7, "'scale' must be 5"),
    (
        "both kinds",
        edit("{text: 总体打几分？, scale: 5}", "{text: 总体打几分？, scale: 5, choices: [a, b]}"),
        10,
        "either 'scale: 5' or a list of 'choices'",
    ),
    (
        "neither kind",
        edit("{text: 总体打几分？, scale: 5}", "{text: 总体打几分？}"),
        10,
        "either 'scale: 5' or a list of 'choices'",
    ),
    ("one choice", edit("[医药费报销, 劳保用品, 保险理赔]", "[医药费报销]"), 9, "2 to 8 choices"),
    (
        "nine choices",
        edit("[医药费报销, 劳保用品, 保险理赔]", "[a, b, c, d, e, f, g, h, i]"),
        9,
        "this one has 9",
    ),
    ("long choice", edit("劳保用品,", "劳" * 41 + ","), 9, "at most 40 characters"),
    ("choice twice", edit("劳保用品, 保险理赔]", "劳保用品, 劳保用品]"), 9, "listed twice"),
    ("choices not a list", edit("[医药费报销, 劳保用品, 保险理赔]", "报销"), 9, "must be a list"),
    (
        "unknown question field",
        edit("    scale: 5\n", "    scale: 5\n    hint: x\n"),
        8,
        "unknown field 'hint'",
    ),
]


@pytest.mark.parametrize(("text", "line", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_file_is_refused_with_line_and_reason(
    text: str, line: int | None, reason: str
) -> None:
    with pytest.raises(SurveyFileError) as caught:
        parse_survey(text, "s.yaml", lang="en")
    lines = caught.value.lines()
    assert any(entry.startswith(f"s.yaml:{line}: ") and reason in entry for entry in lines), lines


def test_every_problem_is_reported_at_once() -> None:
    text = edit("remind_after: 2d", "remind_after: soon").replace("scale: 5\n", "scale: 4\n", 1)
    with pytest.raises(SurveyFileError) as caught:
        parse_survey(text, "s.yaml", lang="en")
    assert [entry.split(": ")[0] for entry in caught.value.lines()] == ["s.yaml:4", "s.yaml:7"]


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(SurveyFileError, match=r"s\.yaml: the file is empty"):
        parse_survey("", "s.yaml", lang="en")
