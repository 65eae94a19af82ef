"""``/report`` and ``/figures``: a period's figures for whoever may read them.

Read-only: who may ask and for which period is checked here; the figures are then read on
a connection of their own (never the write lock, so a quarter over a million requests does
not hold up an alert) and drawn, both in the low-priority worker process (``bot.offloop``),
so an alert raised meanwhile does not wait for them.

Who sees what (DESIGN.md §2): a secretary their own branches, the committee every branch
plus the requests of senders no branch serves; both see every figure, as they see the
requests themselves. A supervisor sees every branch anonymised - branch names only, and
every figure over fewer than 3 requests withheld; the committee may ask for that view too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import offloop
from bot.domain.authz import Actor
from bot.domain.figures import Period, Report, Span, parse_period
from bot.domain.refusal import DomainRefusal
from bot.i18n import N_, t
from bot.texts import report_charts, report_render, report_text
from bot.texts.report_charts import Chart
from bot.usecases.common import Ctx, Refused
from storage import report_queries
from storage.db import make_engine, reading


@dataclass(frozen=True)
class ReportView:
    text: str
    charts: list[Chart]


# What a handler runs: (engine, ctx, actor, the period as written, now) -> the view.
Work = Callable[[AsyncEngine, Ctx, Actor, str, datetime], Awaitable[ReportView]]


def period_of(ctx: Ctx, written: str, now: datetime) -> Period:
    """The period a user wrote, relative to today's local date; refused in their words."""
    try:
        return parse_period(written, now.astimezone(ctx.tz).date())
    except DomainRefusal as error:
        raise Refused.of(error) from None


SUPERVISOR_PERIODS = N_(
    "Supervisors see whole quarters that have ended, such as {example}: figures of a "
    "month, a year or the running quarter could be set against each other to tell single "
    "requests apart."
)


def supervisor_period(period: Period | None, today: date) -> Period:
    """Only ended quarters for a supervisor (the last one by default): one granularity of
    closed periods, so no two answers can be subtracted down to a suppressed figure."""
    last = Period.quarter_of(today).previous()
    if period is None:
        return last
    if period.span is not Span.QUARTER or period.end > today:
        raise Refused(SUPERVISOR_PERIODS, example=last.label)
    return period


async def figures_of(conn: AsyncConnection, ctx: Ctx, period: Period, now: datetime) -> Report:
    """Every branch's figures as at ``now`` (visits still to come are not counted yet), the
    unbranched requests under their translated name."""
    return await report_queries.period_report(
        conn, period, ctx.tz, now=now, unbranched_name=t(ctx.lang, "Not in the roster")
    )


REPORT_HEADER = N_("📊 Figures · {span}")
FIGURES_HEADER = N_(
    "📊 Anonymised figures · {span}\nA figure over fewer than 3 requests shows n<3."
)


@dataclass(frozen=True)
class Asked:
    """What one report is of, handed to the worker process: the period, as at ``now``
    (visits still to come are not counted yet), ``only`` these branches (None: all), and
    whether small figures are withheld."""

    period: Period
    now: datetime
    only: frozenset[int] | None
    suppress: bool


async def _in_worker(engine: AsyncEngine, ctx: Ctx, asked: Asked) -> ReportView:
    url = engine.url.render_as_string(hide_password=False)
    return await offloop.run(_drawn, url, ctx, asked)


def _drawn(url: str, ctx: Ctx, asked: Asked) -> ReportView:
    """In the worker process: read the figures, write the text, draw the charts."""
    return asyncio.run(_read_and_draw(url, ctx, asked))


async def _read_and_draw(url: str, ctx: Ctx, asked: Asked) -> ReportView:
    engine = make_engine(url)
    try:
        async with reading(engine) as conn:
            found = await figures_of(conn, ctx, asked.period, asked.now)
    finally:
        await engine.dispose()
    if asked.only is not None:
        found = found.only(asked.only)
    suppress = asked.suppress
    span = report_render.span_text(found)
    if suppress:
        header = t(ctx.lang, FIGURES_HEADER, span=span)
    else:
        header = t(ctx.lang, REPORT_HEADER, span=span)
    text = report_text.fitting(ctx.lang, header, found, suppress=suppress)
    return ReportView(text, report_charts.render_charts(ctx.lang, found, suppress=suppress))


async def report(
    engine: AsyncEngine, ctx: Ctx, actor: Actor, written: str, now: datetime
) -> ReportView:
    """/report [period]: the branch's figures for its secretary, every branch's for the
    committee."""
    if actor.supervisor and not (actor.committee or actor.secretary_of):
        raise Refused(
            "Reports are for branch secretaries and the committee; "
            "/figures shows you the anonymised figures."
        )
    if not (actor.committee or actor.secretary_of):
        raise Refused("Reports are for branch secretaries and the committee.")
    period = period_of(ctx, written, now)
    only = None if actor.committee else actor.secretary_of
    return await _in_worker(engine, ctx, Asked(period, now, only, suppress=False))


async def figures(
    engine: AsyncEngine, ctx: Ctx, actor: Actor, written: str, now: datetime
) -> ReportView:
    """/figures [period]: every branch anonymised, for supervisors (and the committee)."""
    if not (actor.supervisor or actor.committee):
        raise Refused("The anonymised figures are for supervisors and the committee.")
    asked = period_of(ctx, written, now) if written.strip() else None
    if actor.committee:
        period = asked or period_of(ctx, written, now)
    else:
        period = supervisor_period(asked, now.astimezone(ctx.tz).date())
    return await _in_worker(engine, ctx, Asked(period, now, None, suppress=True))
