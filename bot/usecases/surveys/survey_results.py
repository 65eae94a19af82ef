"""The committee's survey commands: open, close (results to the committee), publish
(results to everyone).

These write to many people at once, so each runs in a batched unit of work (one insert for
all its outbox rows). Charts are drawn before the transaction, in a worker thread, from
the same results the transaction then checks: drawing takes a good part of a second, and
the write lock must not wait for it while a 120 comes in. If an answer arrived in
between, the charts are drawn again inside (rare: a survey is closed once a year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import offloop
from bot.domain.authz import Actor
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.survey import Results, Survey, SurveyState, tally
from bot.services import Services
from bot.texts import survey_render as sr
from bot.texts.survey_charts import result_charts
from bot.texts.textfit import TEXT_LIMIT, split
from bot.usecases.common import Ctx, Refused
from bot.usecases.surveys.surveys import NO_SURVEY, check_committee, find, open_survey, refuse_state
from storage import queries
from storage import survey_store as store
from storage.db import reading
from storage.survey_store import Recipient
from storage.uow import Send, UnitOfWork

Charts = list[tuple[bytes, str]]


@dataclass(frozen=True)
class Outcome:
    survey: Survey
    results: Results
    recipients: int


def _batch(svc: Services) -> UnitOfWork:
    return UnitOfWork(svc.engine, svc.wakeups, svc.clock, svc.ctx.tz, batch=True)


async def open_for_all(svc: Services, actor: Actor, key: str) -> int:
    """Open the survey to everyone (`open_survey`) in one batched transaction."""
    async with _batch(svc) as uow:
        return await open_survey(uow, svc.ctx, actor, key)


async def results_of(conn: AsyncConnection, survey: Survey) -> Results:
    asked, finished, counted = await store.counts(conn, survey.id)
    return tally(survey.questions, asked, finished, counted)


async def _prepare(
    svc: Services, actor: Actor, key: str, state: SurveyState
) -> tuple[Results, Charts]:
    """Check who asks and the survey's state, then draw its charts outside any lock."""
    check_committee(actor)
    async with reading(svc.engine) as conn:
        survey = await store.by_key(conn, key)
        if survey is None:
            raise Refused(NO_SURVEY, key=key)
        if survey.state is not state:
            raise refuse_state(survey)
        results = await results_of(conn, survey)
    charts = await offloop.run(result_charts, svc.ctx.lang, survey.title, results)
    return results, charts


async def send_results(
    uow: UnitOfWork,
    ctx: Ctx,
    survey: Survey,
    results: Results,
    charts: Charts,
    to: list[Recipient],
) -> None:
    """The results text (in pieces within Telegram's limit) and the charts, to each; in
    the lowest band, so every alert overtakes them."""
    pieces = split(sr.results_text(ctx.lang, survey, results), TEXT_LIMIT)
    # Each chart is stored once and uploaded once: the rows refer to it.
    photos = [{"media": await uow.media(png), "caption": caption} for png, caption in charts]
    for person in to:
        for piece in pieces:
            await uow.send(_message(person, "sendMessage", {"text": piece}))
        for photo in photos:
            await uow.send(_message(person, "sendPhoto", photo))


def _message(to: Recipient, method: str, payload: dict[str, Any]) -> Send:
    return Send(
        chat_id=to.telegram_id,
        method=method,
        payload=payload,
        priority=Priority.LOW,
        purpose=Purpose.SURVEY_RESULTS,
        recipient_id=to.person_id,
    )


async def _committee(uow: UnitOfWork) -> list[Recipient]:
    found = await queries.people_by_ids(uow.conn, await queries.committee_ids(uow.conn))
    return [
        Recipient(p.id, p.telegram_id)
        for p in sorted(found.values(), key=lambda p: p.id)
        if p.telegram_id is not None
    ]


async def _checked(
    uow: UnitOfWork, ctx: Ctx, survey: Survey, prepared: tuple[Results, Charts]
) -> tuple[Results, Charts]:
    """The results as the transaction sees them; redrawn if they moved since drawn."""
    results, charts = prepared
    final = await results_of(uow.conn, survey)
    if final != results:
        charts = result_charts(ctx.lang, survey.title, final)
    return final, charts


async def _move(uow: UnitOfWork, key: str, expected: SurveyState, new: SurveyState) -> Survey:
    """Find the survey and change its state, if it is still ``expected``."""
    survey = await find(uow, key)
    stamp = {SurveyState.CLOSED: "closed_at", SurveyState.PUBLISHED: "published_at"}[new]
    if survey.state is not expected or not await store.move(
        uow.conn, survey.id, expected, new, **{stamp: uow.now}
    ):
        raise refuse_state(survey)
    uow.story("survey", survey.id, new.value)
    return survey


async def close(svc: Services, actor: Actor, key: str) -> Outcome:
    """Stop taking answers and send the committee the results."""
    prepared = await _prepare(svc, actor, key, SurveyState.OPEN)
    async with _batch(svc) as uow:
        survey = await _move(uow, key, SurveyState.OPEN, SurveyState.CLOSED)
        results, charts = await _checked(uow, svc.ctx, survey, prepared)
        committee = await _committee(uow)
        await send_results(uow, svc.ctx, survey, results, charts, committee)
    return Outcome(survey, results, len(committee))


async def publish(svc: Services, actor: Actor, key: str) -> Outcome:
    """Send the closed survey's results to everyone it was for."""
    prepared = await _prepare(svc, actor, key, SurveyState.CLOSED)
    async with _batch(svc) as uow:
        survey = await _move(uow, key, SurveyState.CLOSED, SurveyState.PUBLISHED)
        results, charts = await _checked(uow, svc.ctx, survey, prepared)
        everyone = await store.audience(uow.conn)
        await send_results(uow, svc.ctx, survey, results, charts, everyone)
    return Outcome(survey, results, len(everyone))
