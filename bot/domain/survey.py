"""The yearly survey's rules: questions, what a button press may record, what results show.

Pure: no SQL, no Telegram, no clock. A survey is a list of questions, each on a 1-5 scale
or a multiple choice; a taker answers them one at a time, in order. Results are counts per
answer (and a scale's mean), and nothing is shown that describes fewer than
``MIN_ANSWERS`` people: with one or two answers a reader who knows who took part could
tell what someone said.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SCALE_POINTS = 5  # a scale question is answered 1..5
MAX_QUESTIONS = 30
QUESTION_MAX = 300  # characters of a question's text
CHOICE_MAX = 40  # characters of one choice (a button label)
MIN_CHOICES, MAX_CHOICES = 2, 8
MIN_ANSWERS = 3  # below this many answers a figure is withheld

_ARG = re.compile(r"([0-9]{1,2})_([0-9]{1,2})", re.ASCII)


class SurveyState(StrEnum):
    DRAFT = "draft"  # imported, not sent to anyone: an import may still change it
    OPEN = "open"  # sent to everyone asked; answers are taken
    CLOSED = "closed"  # no more answers; the committee has the results
    PUBLISHED = "published"  # the results went to everyone


class QuestionKind(StrEnum):
    SCALE = "scale"  # 1 (worst) .. 5 (best)
    CHOICE = "choice"  # one of the listed choices


@dataclass(frozen=True)
class Question:
    text: str
    kind: QuestionKind
    choices: tuple[str, ...] = ()

    @property
    def options(self) -> int:
        """How many answers there are; answers are numbered 1..options."""
        return SCALE_POINTS if self.kind is QuestionKind.SCALE else len(self.choices)

    def label(self, value: int) -> str:
        """An answer as shown: the scale's number, or the choice's text."""
        return str(value) if self.kind is QuestionKind.SCALE else self.choices[value - 1]

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind.value, "choices": list(self.choices)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Question:
        return cls(str(raw["text"]), QuestionKind(raw["kind"]), tuple(raw.get("choices") or ()))


def questions_from_json(raw: Sequence[Mapping[str, Any]]) -> tuple[Question, ...]:
    return tuple(Question.from_json(q) for q in raw)


def answer_arg(number: int, value: int) -> str:
    """A button's argument: question ``number`` (1-based), answer ``value`` - "3_5"."""
    return f"{number}_{value}"


def read_answer_arg(arg: str | None) -> tuple[int, int] | None:
    """(question number, value) from a button's argument; None for anything else."""
    match = _ARG.fullmatch(arg or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


class Verdict(StrEnum):
    """What a press on a survey button does."""

    RECORDED = "recorded"  # the answer is kept; the next question follows
    FINISHED = "finished"  # that was the last answer: all of them are written now
    CLOSED = "closed"  # the survey no longer takes answers
    NOT_ASKED = "not-asked"  # this person was not sent the survey
    DONE = "done"  # this person has answered every question already
    ANSWERED = "answered"  # this question was answered already (a second press)
    INVALID = "invalid"  # no such survey, question or answer: stale or made up


@dataclass(frozen=True)
class Survey:
    id: int
    key: str
    title: str
    intro: str
    questions: tuple[Question, ...]
    remind_after: str  # a duration as written: "3d"
    state: SurveyState


@dataclass(frozen=True)
class Listed:
    """A survey in the committee's list: how many were asked, how many finished."""

    survey: Survey
    asked: int
    finished: int


@dataclass(frozen=True)
class Taker:
    """Where one taker is: the next question (0-based) and whether they finished."""

    next_question: int
    finished: bool


def judge(
    state: SurveyState | None,
    questions: Sequence[Question],
    taker: Taker | None,
    arg: str | None,
) -> Verdict:
    """Decide what a press on ``q:<survey>:<arg>`` does; nothing but RECORDED and FINISHED
    may change anything."""
    parsed = read_answer_arg(arg)
    if state is None or state is SurveyState.DRAFT or parsed is None:
        return Verdict.INVALID
    number, value = parsed
    if not 1 <= number <= len(questions) or not 1 <= value <= questions[number - 1].options:
        return Verdict.INVALID
    if state is not SurveyState.OPEN:
        return Verdict.CLOSED
    if taker is None:
        return Verdict.NOT_ASKED
    if taker.finished:
        return Verdict.DONE
    current = taker.next_question + 1
    if number < current:
        return Verdict.ANSWERED
    if number > current:
        return Verdict.INVALID  # a question not sent yet: only a made-up button says so
    return Verdict.FINISHED if number == len(questions) else Verdict.RECORDED


@dataclass(frozen=True)
class QuestionResult:
    number: int  # 1-based
    question: Question
    answers: int  # how many answered it
    counts: tuple[int, ...] | None  # per answer 1..options; None when withheld
    mean: float | None  # scale questions with counts shown

    @property
    def shown(self) -> bool:
        return self.counts is not None


@dataclass(frozen=True)
class Results:
    asked: int
    finished: int
    questions: tuple[QuestionResult, ...]

    @property
    def withheld(self) -> bool:
        """Fewer than ``MIN_ANSWERS`` finished: nothing is shown at all."""
        return self.finished < MIN_ANSWERS


def tally(
    questions: Sequence[Question],
    asked: int,
    finished: int,
    counts: Mapping[tuple[int, str], int],
) -> Results:
    """Results from stored answer counts, keyed (question index 0-based, value as stored).

    A question with fewer than ``MIN_ANSWERS`` answers shows no counts and no mean, and
    when fewer than that many finished the survey no question shows anything.
    """
    out = []
    for index, question in enumerate(questions):
        per = tuple(counts.get((index, str(v)), 0) for v in range(1, question.options + 1))
        answers = sum(per)
        if answers < MIN_ANSWERS or finished < MIN_ANSWERS:
            out.append(QuestionResult(index + 1, question, answers, None, None))
            continue
        mean = None
        if question.kind is QuestionKind.SCALE:
            mean = sum(v * n for v, n in enumerate(per, start=1)) / answers
        out.append(QuestionResult(index + 1, question, answers, per, mean))
    return Results(asked, finished, tuple(out))


@dataclass(frozen=True)
class SurveySpec:
    """A survey file as read (``bot/files/survey_file.py``), before it is stored."""

    key: str
    title: str
    intro: str
    remind_after: str  # a duration as written: "3d"
    questions: tuple[Question, ...]
