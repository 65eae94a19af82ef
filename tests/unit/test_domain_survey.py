"""The survey's rules: what a press records, and what results show or withhold."""

from __future__ import annotations

import pytest

from bot.callbacks import Button, Verb, unpack
from bot.domain.survey import (
    Question,
    QuestionKind,
    SurveyState,
    Taker,
    Verdict,
    answer_arg,
    judge,
    read_answer_arg,
    tally,
)

SCALE = Question("反应快吗？", QuestionKind.SCALE)
CHOICE = Question("最常找支部做什么？", QuestionKind.CHOICE, ("报销", "劳保", "保险"))
QUESTIONS = (SCALE, CHOICE, SCALE)
AT_START = Taker(0, False)
AT_SECOND = Taker(1, False)
AT_LAST = Taker(2, False)
DONE = Taker(3, True)

OPEN, CLOSED = SurveyState.OPEN, SurveyState.CLOSED

JUDGED: list[tuple[str, SurveyState | None, Taker | None, str | None, Verdict]] = [
    ("first answer", OPEN, AT_START, "1_5", Verdict.RECORDED),
    ("a choice", OPEN, AT_SECOND, "2_3", Verdict.RECORDED),
    ("the last answer", OPEN, AT_LAST, "3_1", Verdict.FINISHED),
    ("the same question again", OPEN, AT_SECOND, "1_4", Verdict.ANSWERED),
    ("after finishing", OPEN, DONE, "3_2", Verdict.DONE),
    ("a question not sent yet", OPEN, AT_START, "3_2", Verdict.INVALID),
    ("scale out of range", OPEN, AT_START, "1_6", Verdict.INVALID),
    ("scale zero", OPEN, AT_START, "1_0", Verdict.INVALID),
    ("choice out of range", OPEN, AT_SECOND, "2_4", Verdict.INVALID),
    ("no such question", OPEN, AT_START, "4_1", Verdict.INVALID),
    ("question zero", OPEN, AT_START, "0_1", Verdict.INVALID),
    ("garbage", OPEN, AT_START, "yes", Verdict.INVALID),
    ("no argument", OPEN, AT_START, None, Verdict.INVALID),
    ("not asked", OPEN, None, "1_3", Verdict.NOT_ASKED),
    ("closed survey", CLOSED, AT_START, "1_3", Verdict.CLOSED),
    ("published survey", SurveyState.PUBLISHED, AT_START, "1_3", Verdict.CLOSED),
    ("closed, and made up", CLOSED, AT_START, "1_9", Verdict.INVALID),
    ("a draft", SurveyState.DRAFT, None, "1_3", Verdict.INVALID),
    ("no such survey", None, None, "1_3", Verdict.INVALID),
]


@pytest.mark.parametrize(
    ("state", "taker", "arg", "verdict"), [j[1:] for j in JUDGED], ids=[j[0] for j in JUDGED]
)
def test_a_press_is_judged(
    state: SurveyState | None, taker: Taker | None, arg: str | None, verdict: Verdict
) -> None:
    assert judge(state, QUESTIONS, taker, arg) is verdict


def test_answer_buttons_pack_within_telegram_limits_and_read_back() -> None:
    button = Button(Verb.SURVEY, 123456789012, answer_arg(30, 8))
    data = button.pack()
    assert data == "q:123456789012:30_8" and len(data.encode()) <= 64
    assert unpack(data) == button
    assert read_answer_arg(button.arg) == (30, 8)


def test_results_count_each_answer_and_the_mean_of_a_scale() -> None:
    counts = {(0, "5"): 2, (0, "4"): 1, (1, "1"): 2, (1, "3"): 1, (2, "2"): 3}
    results = tally(QUESTIONS, asked=10, finished=3, counts=counts)
    first, second, third = results.questions
    assert first.counts == (0, 0, 0, 1, 2) and first.mean == pytest.approx(14 / 3)
    assert second.counts == (2, 0, 1) and second.mean is None and second.answers == 3
    assert third.counts == (0, 3, 0, 0, 0) and third.mean == 2
    assert (results.asked, results.finished, results.withheld) == (10, 3, False)


def test_a_question_with_fewer_than_three_answers_shows_nothing() -> None:
    counts = {(0, "5"): 3, (1, "1"): 2, (2, "4"): 3}
    results = tally(QUESTIONS, asked=5, finished=3, counts=counts)
    assert [r.shown for r in results.questions] == [True, False, True]
    assert results.questions[1].counts is None and results.questions[1].mean is None


def test_fewer_than_three_finished_withholds_everything() -> None:
    counts = {(0, "5"): 5, (1, "1"): 5, (2, "4"): 5}  # even if the counts say otherwise
    results = tally(QUESTIONS, asked=5, finished=2, counts=counts)
    assert results.withheld
    assert not any(r.shown for r in results.questions)


def test_stored_values_outside_the_options_are_not_counted() -> None:
    results = tally(QUESTIONS, 3, 3, {(0, "9"): 3, (0, "1"): 3, (7, "1"): 3})
    assert results.questions[0].counts == (3, 0, 0, 0, 0)


def test_questions_survive_their_json() -> None:
    assert [Question.from_json(q.to_json()) for q in QUESTIONS] == list(QUESTIONS)
    assert CHOICE.options == 3 and SCALE.options == 5 and CHOICE.label(2) == "劳保"
