"""The morning digest: each secretary their branch, the committee the whole company.

A recurring durable deadline (kind ``digest``): its effect sends the digests and arms the
next working day's; ``ensure_armed`` at start arms one if none is pending. The time comes
from the roster (``digest: {at: "08:30"}``); without that section there is no digest.
A digest with nothing to say is not sent. Digests go out in the lowest priority band, so
they never delay an alert.
"""

from __future__ import annotations

from datetime import date

from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.desk import next_digest
from bot.domain.lifecycle import State
from bot.domain.people import Person
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.worktime import WorkCalendar
from bot.i18n import t
from bot.texts import render
from bot.usecases.common import Ctx
from storage import board_queries as bq
from storage import deadline_queue, queries
from storage.deadline_queue import Deadline
from storage.uow import Send, UnitOfWork


async def ensure_armed(uow: UnitOfWork) -> None:
    """Arm the next digest unless one is pending (or the roster asks for none)."""
    if await deadline_queue.pending_of_kind(uow.conn, DeadlineKind.DIGEST):
        return
    await _arm_next(uow)


async def _arm_next(uow: UnitOfWork) -> None:
    policy = await uow.policy()
    if policy.digest_at is None:
        return
    calendar = policy.calendar or WorkCalendar(uow.tz)
    await uow.arm(DeadlineKind.DIGEST, next_digest(uow.now, policy.digest_at, calendar))


LISTED = 12  # request numbers named per line; the count says the rest, /board shows them


def _numbers(rows: list[bq.BoardRow]) -> str:
    numbers = [f"#{r.request.id}" for r in sorted(rows, key=lambda r: r.request.id)]
    return ", ".join(numbers[:LISTED]) + (", …" if len(numbers) > LISTED else "")


def branch_text(
    ctx: Ctx, name: str, day: date, rows: list[bq.BoardRow], seen: bq.VisitsDue | None
) -> str | None:
    """One branch's digest, or None when there is nothing to say."""
    lang = ctx.lang
    groups = [
        (t(lang, "Waiting for a taker"), [r for r in rows if r.request.state is State.OPEN]),
        (t(lang, "Being handled"), [r for r in rows if r.request.state is State.TAKEN]),
        (t(lang, "Overdue or escalated"), [r for r in rows if r.overdue]),
        (
            t(lang, "Resolved, not yet confirmed"),
            [r for r in rows if r.request.state is State.RESOLVED],
        ),
    ]
    lines = [f"{label}: {len(found)} — {_numbers(found)}" for label, found in groups if found]
    if seen is not None:
        for label, visits in (
            (t(lang, "Visits due"), seen.due),
            (t(lang, "Visits missed"), seen.missed),
        ):
            if visits:
                lines.append(
                    f"{label}: "
                    + "; ".join(f"{who} ({on.strftime('%m-%d')})" for who, on in visits)
                )
    if not lines:
        return None
    header = t(lang, "☀ Morning digest · {branch} · {day}", branch=name, day=day.isoformat())
    return "\n".join([header, *lines, t(lang, "/board shows it all.")])


def company_text(
    ctx: Ctx,
    day: date,
    branches: list[bq.Branch],
    counts: dict[int | None, bq.Summary],
    seen: dict[int, bq.VisitsDue],
) -> str | None:
    """The committee's digest: one line per branch with something to say."""
    lang = ctx.lang
    lines = []
    for branch in branches:
        c = counts.get(branch.id, bq.Summary())
        visits = seen.get(branch.id, bq.VisitsDue())
        if not (c.open or c.taken or c.resolved or visits.due or visits.missed):
            continue
        lines.append(
            t(
                lang,
                "{branch}: {open} open · {taken} taken · {overdue} overdue · "
                "{resolved} unconfirmed · {visits} visits due · {missed} missed",
                branch=branch.name,
                open=c.open,
                taken=c.taken,
                overdue=c.overdue,
                resolved=c.resolved,
                visits=len(visits.due),
                missed=len(visits.missed),
            )
        )
    stray = counts.get(None)
    if stray is not None:
        lines.append(
            t(
                lang,
                "Not in the roster: {open} open · {taken} taken · {resolved} unconfirmed",
                open=stray.open,
                taken=stray.taken,
                resolved=stray.resolved,
            )
        )
    if not lines:
        return None
    header = t(lang, "☀ Company digest · {day}", day=day.isoformat())
    return "\n".join([header, *lines, t(lang, "/board shows it all.")])


async def _send(uow: UnitOfWork, person: Person, text: str) -> None:
    assert person.telegram_id is not None
    await uow.send(
        Send(
            chat_id=person.telegram_id,
            method="sendMessage",
            payload=render.text_message(text),
            priority=Priority.LOW,
            purpose=Purpose.DIGEST,
            recipient_id=person.id,
        )
    )


async def send_digests(uow: UnitOfWork, ctx: Ctx) -> int:
    """Compose and queue today's digests; return how many were queued."""
    day = uow.now.astimezone(ctx.tz).date()
    branches = await bq.active_branches(uow.conn)
    ids = [b.id for b in branches]
    rows = await bq.board_rows(uow.conn, ids, unbranched=True)
    seen = await bq.visits_due(uow.conn, ids, day)
    committee = await queries.people_by_ids(uow.conn, await queries.committee_ids(uow.conn))
    readers = await queries.people_by_ids(uow.conn, [b.secretary_id for b in branches])
    sent = 0
    for branch in branches:
        secretary = readers.get(branch.secretary_id)
        if secretary is None or secretary.telegram_id is None:
            continue
        mine = [r for r in rows if r.request.branch_id == branch.id]
        text = branch_text(ctx, branch.name, day, mine, seen.get(branch.id))
        if text is not None:
            await _send(uow, secretary, text)
            sent += 1
    company = company_text(ctx, day, branches, bq.summarise(rows), seen)
    if company is not None:
        for member in committee.values():
            if member.telegram_id is not None:
                await _send(uow, member, company)
                sent += 1
    return sent


async def on_digest(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    """The deadline effect: today's digests, then the next working day's deadline."""
    if (await uow.policy()).digest_at is None:
        return  # the roster dropped its digest: the chain ends here
    await send_digests(uow, ctx)
    await _arm_next(uow)
