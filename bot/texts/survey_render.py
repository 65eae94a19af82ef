"""Survey texts and keyboards as Bot API payloads, in the reader's language.

Pure functions of their arguments. A question's buttons carry only ``q:<survey>:<n>_<v>``;
the message that replaces an answered question says that it was answered, never what.
"""

from __future__ import annotations

from bot.callbacks import Button, Verb
from bot.domain.survey import (
    MIN_ANSWERS,
    Listed,
    Question,
    QuestionKind,
    QuestionResult,
    Results,
    Survey,
    SurveyState,
    answer_arg,
)
from bot.i18n import N_, t
from bot.texts.render import Payload, text_message

STATE_LABELS = {
    SurveyState.DRAFT: N_("draft (not sent yet)"),
    SurveyState.OPEN: N_("open"),
    SurveyState.CLOSED: N_("closed"),
    SurveyState.PUBLISHED: N_("published"),
}


def state_label(lang: str, state: SurveyState) -> str:
    return t(lang, STATE_LABELS[state])


def _heading(lang: str, survey: Survey, index: int) -> str:
    total = len(survey.questions)
    head = t(lang, "Question {number} of {total}", number=index + 1, total=total)
    return f"{head}\n{survey.questions[index].text}"


def buttons(survey: Survey, index: int) -> list[list[tuple[str, Button]]]:
    """Scale: 1..5 in one row; choices: one per row (their labels are up to 40 long)."""
    question = survey.questions[index]
    number = index + 1
    pressed = [
        (question.label(v), Button(Verb.SURVEY, survey.id, answer_arg(number, v)))
        for v in range(1, question.options + 1)
    ]
    if question.kind is QuestionKind.SCALE:
        return [pressed]
    return [[item] for item in pressed]


def question_message(lang: str, survey: Survey, index: int, *, lead: str = "") -> Payload:
    """Question ``index`` (0-based) with its buttons, after ``lead`` (intro, reminder)."""
    body = _heading(lang, survey, index)
    if survey.questions[index].kind is QuestionKind.SCALE:
        body += "\n" + t(lang, "(1 = lowest … 5 = highest)")
    return text_message(f"{lead}\n\n{body}" if lead else body, buttons(survey, index))


def intro(lang: str, survey: Survey) -> str:
    """What heads the first question: the title, the intro and the promise of anonymity."""
    parts = [f"📋 {survey.title}"]
    if survey.intro:
        parts.append(survey.intro)
    parts.append(
        t(
            lang,
            "🔒 Anonymous: your answers are stored without your name, and results are shown "
            "only for questions at least {min} people answered.",
            min=MIN_ANSWERS,
        )
    )
    return "\n".join(parts)


def reminder(lang: str, survey: Survey) -> str:
    return t(
        lang,
        '⏰ The survey "{title}" is still waiting for your answers. It takes a minute.',
        title=survey.title,
    )


def answered(lang: str, survey: Survey, index: int) -> Payload:
    """The question message once answered: the same question, no buttons, no value."""
    return text_message(_heading(lang, survey, index) + "\n" + t(lang, "✓ Answered"))


def thanks(lang: str, survey: Survey) -> Payload:
    return text_message(
        t(
            lang,
            'Thank you! Your answers to "{title}" are recorded, without your name. '
            "The committee will publish the results.",
            title=survey.title,
        )
    )


def listing(lang: str, found: list[Listed]) -> str:
    if not found:
        return t(
            lang,
            "No surveys yet. Import one with: helpline survey import FILE "
            "(see examples/survey.yaml).",
        )
    lines = [t(lang, "📋 Surveys:")]
    for item in found:
        lines.append(
            t(
                lang,
                "• {key} — {title}: {state}; {asked} asked, {finished} finished",
                key=item.survey.key,
                title=item.survey.title,
                state=state_label(lang, item.survey.state),
                asked=item.asked,
                finished=item.finished,
            )
        )
    lines.append(t(lang, "/survey open KEY · /survey close KEY · /survey publish KEY"))
    return "\n".join(lines)


def _counts(lang: str, result: QuestionResult) -> str:
    assert result.counts is not None
    question: Question = result.question
    pairs = [f"{question.label(v)}: {n}" for v, n in enumerate(result.counts, start=1)]
    sep = " · " if question.kind is QuestionKind.SCALE else "\n  "
    line = "  " + sep.join(pairs)
    if result.mean is not None:
        mean = f"{result.mean:.1f}"
        line += "\n  " + t(lang, "mean {mean} of 5 ({n} answers)", mean=mean, n=result.answers)
    else:
        line += "\n  " + t(lang, "{n} answers", n=result.answers)
    return line


def results_text(lang: str, survey: Survey, results: Results) -> str:
    """Counts per answer (and a scale's mean) per question; withheld below the minimum."""
    head = t(
        lang,
        '📊 Results of "{title}": {finished} of {asked} asked finished it.',
        title=survey.title,
        finished=results.finished,
        asked=results.asked,
    )
    if results.withheld:
        return (
            head
            + "\n"
            + t(
                lang,
                "Fewer than {min} people finished it: no results are shown, so that nobody's "
                "answers can be told apart.",
                min=MIN_ANSWERS,
            )
        )
    lines = [head]
    for result in results.questions:
        lines.append(f"\n{result.number}. {result.question.text}")
        if result.shown:
            lines.append(_counts(lang, result))
        else:
            lines.append("  " + t(lang, "fewer than {min} answers: not shown", min=MIN_ANSWERS))
    return "\n".join(lines)
