"""The quarterly assessment: at the local midnight that begins a quarter, each committee
member receives the quarter just ended for every branch, with the change against the
quarter before it.

A recurring durable deadline (kind ``assessment``), like the morning digest: its row says
which quarter it is about, its effect queues the text and the charts in the outbox (lowest
priority band, behind every alert) and arms the next quarter's; ``ensure_armed`` at start
arms one if none is pending. The deadline engine claims the row in the transaction that
queues the messages, so the assessment goes out once, across restarts and processes, and
one that fell due while the bot was down goes out right after start.
"""

from __future__ import annotations

from bot import offloop
from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.figures import Period, Span, local_midnight, next_quarter_start
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.i18n import t
from bot.texts import render, report_charts, report_render, report_text
from bot.texts.textfit import TEXT_LIMIT, split
from bot.usecases.common import Ctx
from bot.usecases.figures.reports import figures_of
from storage import deadline_queue, queries
from storage.deadline_queue import Deadline
from storage.uow import Send, UnitOfWork


async def ensure_armed(uow: UnitOfWork) -> None:
    """Arm the next assessment unless one is pending."""
    if not await deadline_queue.pending_of_kind(uow.conn, DeadlineKind.ASSESSMENT):
        await _arm_next(uow)


async def _arm_next(uow: UnitOfWork) -> None:
    due, quarter = next_quarter_start(uow.now, uow.tz)
    await uow.arm(DeadlineKind.ASSESSMENT, due, year=quarter.year, quarter=quarter.index)


def _sends(
    chat_id: int, person_id: int, texts: list[str], charts: list[tuple[int, str]]
) -> list[Send]:
    out = [
        Send(
            chat_id=chat_id,
            method="sendMessage",
            payload=render.text_message(piece),
            priority=Priority.LOW,
            purpose=Purpose.REPORT,
            recipient_id=person_id,
        )
        for piece in texts
    ]
    out += [
        Send(
            chat_id=chat_id,
            method="sendPhoto",
            payload={"media": media, "caption": caption},
            priority=Priority.LOW,
            purpose=Purpose.REPORT,
            recipient_id=person_id,
        )
        for media, caption in charts
    ]
    return out


async def send_assessment(uow: UnitOfWork, ctx: Ctx, quarter: Period) -> int:
    """Queue the assessment of ``quarter`` for every committee member; return how many
    messages were queued."""
    committee = await queries.people_by_ids(uow.conn, await queries.committee_ids(uow.conn))
    readers = [p for p in committee.values() if p.telegram_id is not None]
    if not readers:
        return 0
    now = await figures_of(uow.conn, ctx, quarter, uow.now)
    before = await figures_of(uow.conn, ctx, quarter.previous(), uow.now)
    header = t(
        ctx.lang,
        "📋 Quarterly assessment · {span}\nIn brackets: the change against {previous}.",
        span=report_render.span_text(now),
        previous=quarter.previous().label,
    )
    body = report_text.text(ctx.lang, header, now, before, suppress=False)
    charts = await offloop.run(report_charts.render_charts, ctx.lang, now, suppress=False)
    stored = [(await uow.media(c.png), c.caption) for c in charts]  # each uploaded once
    queued = 0
    for person in sorted(readers, key=lambda p: p.id):
        assert person.telegram_id is not None
        for send in _sends(person.telegram_id, person.id, split(body, TEXT_LIMIT), stored):
            await uow.send(send)
            queued += 1
    return queued


async def on_assessment(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    """The deadline effect: the quarter's assessment, then the next quarter's deadline."""
    quarters = {
        Period(int(d.data["year"]), Span.QUARTER, int(d.data["quarter"]))
        for d in due
        if "year" in d.data and "quarter" in d.data
    }
    ordered = sorted(quarters, key=lambda q: (q.year, q.index))
    for quarter in ordered:
        await send_assessment(uow, ctx, quarter)
    if ordered:
        # The quarter after the one just sent, even if its end has passed too (the bot
        # was down for months): the engine fires it next, so no quarter is skipped.
        following = ordered[-1].following()
        await uow.arm(
            DeadlineKind.ASSESSMENT,
            local_midnight(following.end, uow.tz),
            year=following.year,
            quarter=following.index,
        )
    else:
        await _arm_next(uow)
