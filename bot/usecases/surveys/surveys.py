"""The yearly survey, asked: open it, take each answer, remind those not finished.

Who is asked: every active employee with a Telegram account, whatever their role (workers,
members, secretaries, the committee, supervisors); family members are not - the survey
asks employees about their branch. Each gets one question at a time through the outbox;
an answer edits its question to "✓ Answered" (never the value) and sends the next.

Anonymity: an answer press is judged, recorded and its inbox row redacted in one
transaction (`storage.survey_store` says what is kept and why it names nobody). A press
that records nothing is redacted too: a second press, or one on a closed survey, still
says what that person would have answered.
"""

from __future__ import annotations

from bot.domain.authz import Actor
from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.durations import parse_duration
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.survey import Survey, SurveyState, Taker, Verdict, judge, read_answer_arg
from bot.i18n import N_
from bot.texts import survey_render as sr
from bot.texts.render import Payload, text_message
from bot.usecases.common import Ctx, Lazy, Refused
from storage import survey_store as store
from storage.deadline_queue import Deadline
from storage.survey_store import Recipient
from storage.uow import Send, UnitOfWork

# Behind every alert and notice about a request, ahead of the mass sends of the LOW band
# (a survey's first questions to everyone, results): someone answering gets the next
# question at once even while the first questions still go out to thousands.
ANSWERING = Priority.LOW - 1

NOT_COMMITTEE = N_("Only the committee can open, close or publish a survey.")
NO_SURVEY = N_("There is no survey '{key}'. /survey lists them.")


def check_committee(actor: Actor) -> None:
    if not actor.committee:
        raise Refused(NOT_COMMITTEE)


async def find(uow: UnitOfWork, key: str) -> Survey:
    survey = await store.by_key(uow.conn, key)
    if survey is None:
        raise Refused(NO_SURVEY, key=key)
    return survey


def refuse_state(survey: Survey) -> Refused:
    return Refused(
        "The survey '{key}' is {state} now.",
        key=survey.key,
        state=Lazy(sr.STATE_LABELS[survey.state]),
    )


def _send(
    to: Recipient, payload: Payload, *, priority: int = Priority.LOW, method: str = "sendMessage"
) -> Send:
    return Send(
        chat_id=to.telegram_id,
        method=method,
        payload=payload,
        priority=priority,
        purpose=Purpose.SURVEY,
        recipient_id=to.person_id,
    )


async def open_survey(uow: UnitOfWork, ctx: Ctx, actor: Actor, key: str) -> int:
    """Ask everyone, arm the reminder; return how many were asked."""
    check_committee(actor)
    survey = await find(uow, key)
    if survey.state is not SurveyState.DRAFT:
        raise refuse_state(survey)
    people = await store.audience(uow.conn)
    if not people:
        raise Refused("Nobody in the roster has a Telegram account to ask.")
    if not await store.move(
        uow.conn, survey.id, SurveyState.DRAFT, SurveyState.OPEN, opened_at=uow.now
    ):
        raise refuse_state(survey)  # opened by someone else a moment ago
    await store.add_takers(uow.conn, survey.id, [p.person_id for p in people])
    uow.story("survey", survey.id, "opened", asked=len(people))
    first = sr.question_message(ctx.lang, survey, 0, lead=sr.intro(ctx.lang, survey))
    for person in people:
        await uow.send(_send(person, first))
    await uow.arm(
        DeadlineKind.SURVEY_REMIND, uow.now + parse_duration(survey.remind_after), survey=survey.id
    )
    return len(people)


async def answer(
    uow: UnitOfWork,
    ctx: Ctx,
    actor: Actor,
    survey_id: int,
    arg: str | None,
    *,
    update_id: int,
    message_id: int | None,
) -> Verdict:
    """Judge a press on a survey button; record it if it is the taker's next answer."""
    await store.redact_update(uow.conn, update_id)
    survey = await store.by_id(uow.conn, survey_id)
    taker: Taker | None = None
    if survey is not None and actor.person_id is not None:
        try:
            taker = await store.taker(uow.conn, survey.id, actor.person_id)
        except LookupError:
            taker = None
    verdict = judge(
        survey.state if survey else None, survey.questions if survey else (), taker, arg
    )
    if verdict not in (Verdict.RECORDED, Verdict.FINISHED):
        return verdict
    assert survey is not None and taker is not None and actor.person_id is not None
    parsed = read_answer_arg(arg)
    assert parsed is not None
    index, value = parsed[0] - 1, parsed[1]
    last = verdict is Verdict.FINISHED
    if not await store.record(uow.conn, survey.id, actor.person_id, index, value, last=last):
        return Verdict.ANSWERED  # a press of the same question got there first
    me = Recipient(actor.person_id, actor.chat_id)
    if message_id is not None:
        edit = {**sr.answered(ctx.lang, survey, index), "message_id": message_id}
        await uow.send(_send(me, edit, priority=ANSWERING, method="editMessageText"))
    if verdict is Verdict.FINISHED:
        await uow.send(_send(me, sr.thanks(ctx.lang, survey), priority=ANSWERING))
    else:
        await uow.send(
            _send(me, sr.question_message(ctx.lang, survey, index + 1), priority=ANSWERING)
        )
    return verdict


async def waiting(uow: UnitOfWork, ctx: Ctx, actor: Actor) -> Payload | None:
    """The question an unfinished taker is at, to show it again (None: nothing waits)."""
    if actor.person_id is None:
        return None
    found = await store.waiting_for(uow.conn, actor.person_id)
    if found is None:
        return None
    survey, index = found
    return sr.question_message(ctx.lang, survey, index, lead=f"📋 {survey.title}")


async def overview(uow: UnitOfWork, ctx: Ctx, actor: Actor) -> list[Payload]:
    """/survey: the committee's list, and the question waiting for the sender if any."""
    shown: list[Payload] = []
    if actor.committee:
        shown.append(text_message(sr.listing(ctx.lang, await store.listing(uow.conn))))
    question = await waiting(uow, ctx, actor)
    if question is not None:
        shown.append(question)
    if not shown:
        raise Refused(
            "Surveys are run by the committee; no survey is waiting for your answers now."
        )
    return shown


async def on_remind(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    """The reminder: once, after ``remind_after``, to everyone asked who has not finished."""
    for deadline in due:
        survey = await store.by_id(uow.conn, int(deadline.data.get("survey", 0)))
        if survey is None or survey.state is not SurveyState.OPEN:
            continue  # closed meanwhile: nobody is chased
        lead = sr.reminder(ctx.lang, survey)
        for person, index in await store.unfinished(uow.conn, survey.id):
            if index < len(survey.questions):
                message = sr.question_message(ctx.lang, survey, index, lead=lead)
                await uow.send(_send(person, message))
