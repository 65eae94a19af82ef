"""The survey file: a survey's key, title, intro, reminder and questions, from YAML.

`parse_survey` returns a frozen `SurveySpec` or refuses the file whole with every problem
and its line, like the roster (``FILE:LINE: reason``): a survey half imported would ask
people questions nobody checked. Pure: no SQL; `storage.survey_store` applies it.

```yaml
key: yearly-2026
title: 2026 年度职工调查
intro: 匿名填写 ...            # optional, at most 1000 characters
remind_after: 3d               # optional, default 3d: when those not finished are reminded
questions:                     # 1 to 30
  - {text: 支部对你求助的反应快吗?, scale: 5}       # answered 1..5
  - {text: 你最常找支部做什么?, choices: [报销, 劳保用品, 保险理赔]}   # 2..8 choices
```
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.durations import parse_duration
from bot.domain.roster_spec import RosterProblem
from bot.domain.survey import (
    CHOICE_MAX,
    MAX_CHOICES,
    MAX_QUESTIONS,
    MIN_CHOICES,
    QUESTION_MAX,
    SCALE_POINTS,
    Question,
    QuestionKind,
    SurveySpec,
)
from bot.files.roster import RosterError, yaml_problem
from bot.files.roster_fields import FieldReader
from bot.files.roster_yaml import YamlLoadError, is_mapping, key_line, load_yaml
from bot.i18n import DEFAULT_LANGUAGE, t

FIELDS = ("key", "title", "intro", "remind_after", "questions")
QUESTION_FIELDS = ("text", "scale", "choices")
INTRO_MAX = 1000
DEFAULT_REMIND = "3d"
REMIND_MIN, REMIND_MAX = timedelta(hours=1), timedelta(days=30)


class SurveyFileError(RosterError):
    """The survey file was refused; nothing of it may be applied (the same
    ``FILE:LINE: reason`` lines as a refused roster)."""


def parse_survey(text: str, filename: str, *, lang: str = DEFAULT_LANGUAGE) -> SurveySpec:
    """Parse and check a survey file; raise `SurveyFileError` listing every problem."""
    try:
        doc = load_yaml(text)
    except YamlLoadError as exc:
        raise SurveyFileError([yaml_problem(exc, lang)], filename) from None
    if doc is None:
        raise SurveyFileError([RosterProblem(None, t(lang, "the file is empty"))], filename)
    if not is_mapping(doc):
        message = t(lang, "a survey file is a mapping: key:, title:, questions:, ...")
        raise SurveyFileError([RosterProblem(1, message)], filename)
    read = FieldReader(lang)
    read.unknown_fields(doc, FIELDS)
    key = read.text(doc, "key", required=True, word=True)
    title = read.text(doc, "title", required=True)
    intro = read.text(doc, "intro", required=False, limit=INTRO_MAX) or ""
    remind = _remind_after(read, doc)
    questions = _questions(read, doc)
    if read.problems or key is None or title is None or remind is None:
        raise SurveyFileError(read.problems, filename)
    return SurveySpec(key, title, intro, remind, tuple(questions))


def _remind_after(read: FieldReader, doc: Any) -> str | None:
    value = doc.get("remind_after")
    if value is None:
        return DEFAULT_REMIND
    line = key_line(doc, "remind_after")
    try:
        if isinstance(value, bool) or not isinstance(value, str):
            raise ValueError(value)
        wait = parse_duration(value)
    except ValueError:
        read.problem(
            line, t(read.lang, "'{value}' is not a duration; write 30s, 2m, 4h or 1d", value=value)
        )
        return None
    if not REMIND_MIN <= wait <= REMIND_MAX:
        read.problem(line, t(read.lang, "'remind_after' must be between 1h and 30d"))
        return None
    return str(value).strip()


def _questions(read: FieldReader, doc: Any) -> list[Question]:
    entries = read.entries(doc, "questions", required=True)
    if "questions" in doc and isinstance(doc["questions"], list):
        line = key_line(doc, "questions")
        if not doc["questions"]:
            read.problem(line, t(read.lang, "'questions' must list at least one question"))
        elif len(doc["questions"]) > MAX_QUESTIONS:
            read.problem(
                line,
                t(
                    read.lang,
                    "a survey has at most {limit} questions; this one has {count}",
                    limit=MAX_QUESTIONS,
                    count=len(doc["questions"]),
                ),
            )
    found = []
    for entry, _line in entries:
        question = _question(read, entry)
        if question is not None:
            found.append(question)
    return found


def _question(read: FieldReader, entry: Any) -> Question | None:
    read.unknown_fields(entry, QUESTION_FIELDS)
    text = read.text(entry, "text", required=True, limit=QUESTION_MAX)
    has_scale, has_choices = "scale" in entry, "choices" in entry
    if has_scale == has_choices:
        read.problem(
            key_line(entry, "text"),
            t(read.lang, "a question has either 'scale: 5' or a list of 'choices', not both"),
        )
        return None
    if has_scale:
        scale = entry.get("scale")
        if isinstance(scale, bool) or scale != SCALE_POINTS:
            read.problem(
                key_line(entry, "scale"),
                t(
                    read.lang,
                    "'scale' must be {points} (answers 1 to {points})",
                    points=SCALE_POINTS,
                ),
            )
            return None
        return Question(text, QuestionKind.SCALE) if text is not None else None
    return _choice_question(read, entry, text)


def _choice_question(read: FieldReader, entry: Any, text: str | None) -> Question | None:
    line = key_line(entry, "choices")
    before = len(read.problems)
    choices = read.names(entry.get("choices"), "choices", line)
    if len(read.problems) > before:
        return None
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        read.problem(
            line,
            t(
                read.lang,
                "a question has {low} to {high} choices; this one has {count}",
                low=MIN_CHOICES,
                high=MAX_CHOICES,
                count=len(choices),
            ),
        )
        return None
    for choice, at in choices:
        if len(choice) > CHOICE_MAX:
            read.problem(
                at,
                t(
                    read.lang,
                    "a choice is at most {limit} characters: '{choice}'",
                    limit=CHOICE_MAX,
                    choice=choice,
                ),
            )
    if len(read.problems) > before or text is None:
        return None
    return Question(text, QuestionKind.CHOICE, tuple(c for c, _ in choices))
