"""Escalation: the next level is alerted when a level's wait runs out, when every alert of
a level proved undeliverable, or when someone asks for it (DESIGN.md §4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bot import render
from bot.domain.lifecycle import State
from bot.i18n import t
from bot.usecases.common import Alerted, Ctx, alert_from
from bot.usecases.timing import arm_escalation
from bot.usecases.uow import Priority, Send, UnitOfWork
from storage import queries
from storage.queries import Request
from storage.tables import branch_members, branches, outbox, people, requests


async def escalate(
    uow: UnitOfWork,
    ctx: Ctx,
    req: Request,
    *,
    reason: str,
    actor_id: int | None = None,
    since: datetime | None = None,
) -> Alerted:
    """Alert the next level (the last one again when at the top)."""
    target = req.chain.next_level(req.level)
    alerted = await alert_from(uow, ctx, req, target, escalated_from=req.level)
    await uow.conn.execute(
        update(requests)
        .where(requests.c.id == req.id)
        .values(level=alerted.level, updated_at=uow.now)
    )
    await uow.event(
        req.id,
        "escalated",
        actor_id=actor_id,
        reason=reason,
        level=alerted.level,
        to=[p.id for p in alerted.people],
    )
    await uow.disarm(req.id, "escalate")
    moved = await queries.load_request(uow.conn, req.id)
    assert moved is not None
    await arm_escalation(uow, moved, alerted.level, since=since)
    return alerted


async def undeliverable(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    request_id: int | None,
    recipient_id: int | None,
    level: int | None,
    reason: str,
) -> None:
    """An alert could not be delivered: mark the person, and escalate at once if the whole
    level is unreachable — nobody waits out a timer for a phone that will never ring."""
    if recipient_id is not None:
        marked = await uow.conn.execute(
            update(people)
            .where(people.c.id == recipient_id, people.c.unreachable_since.is_(None))
            .values(unreachable_since=uow.now)
        )
        if marked.rowcount == 1:
            await _tell_secretaries(uow, ctx, recipient_id, reason)
    if request_id is None:
        return
    await uow.event(request_id, "undeliverable", to=recipient_id, reason=reason, level=level)
    req = await queries.load_request(uow.conn, request_id)
    if req is None or req.state is not State.OPEN or level is None or level != req.level:
        return
    alive = await uow.conn.scalar(
        select(outbox.c.id).where(
            outbox.c.request_id == request_id,
            outbox.c.purpose == "alert",
            outbox.c.level == level,
            outbox.c.status.in_(("pending", "sending", "sent")),
        )
    )
    if alive is None:
        await escalate(uow, ctx, req, reason="undeliverable")


async def _tell_secretaries(uow: UnitOfWork, ctx: Ctx, person_id: int, reason: str) -> None:
    """A member's secretary learns the member cannot be reached (once, until they write)."""
    person = await queries.person_by_id(uow.conn, person_id)
    if person is None:
        return
    rows = await uow.conn.execute(
        select(people.c.id, people.c.telegram_id)
        .join(branches, branches.c.secretary_id == people.c.id)
        .join(branch_members, branch_members.c.branch_id == branches.c.id)
        .where(branch_members.c.person_id == person_id, people.c.id != person_id)
        .distinct()
    )
    for row in rows.all():
        sec_id, chat_id = int(row.id), row.telegram_id
        if chat_id is None:
            continue
        await uow.send(
            Send(
                chat_id=chat_id,
                method="sendMessage",
                payload=render.text_message(
                    t(
                        ctx.lang,
                        "⚠ {name} cannot be reached on Telegram ({reason}). Alerts skip "
                        "them until they write to the bot again.",
                        name=person.name,
                        reason=reason,
                    )
                ),
                priority=Priority.LOW,
                purpose="notice",
                recipient_id=sec_id,
            )
        )
