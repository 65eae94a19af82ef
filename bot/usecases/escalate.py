"""Escalation: the next level is alerted when a level's wait runs out, when every alert of
a level proved undeliverable, or when someone asks for it (DESIGN.md §4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bot.domain.lifecycle import State
from bot.usecases.common import Ctx, alert_from, arm_escalation
from bot.usecases.uow import UnitOfWork
from schedules.deadlines import Deadline
from storage import queries
from storage.queries import Request
from storage.tables import outbox, people, requests


async def escalate(
    uow: UnitOfWork,
    ctx: Ctx,
    req: Request,
    *,
    reason: str,
    actor_id: int | None = None,
    since: datetime | None = None,
) -> int:
    """Alert the next level (the last one again when at the top); return the level alerted."""
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
    return alerted.level


def escalation_effect(ctx: Ctx):  # type: ignore[no-untyped-def]
    """The deadline effect for ``escalate`` rows: act only if nothing changed since arming."""

    async def effect(uow: UnitOfWork, deadline: Deadline) -> None:
        if deadline.request_id is None:
            return
        req = await queries.load_request(uow.conn, deadline.request_id)
        if req is None or req.state is not State.OPEN or req.level != deadline.data.get("level"):
            return
        await escalate(uow, ctx, req, reason="timeout", since=deadline.due_at)

    return effect


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
        await uow.conn.execute(
            update(people)
            .where(people.c.id == recipient_id, people.c.unreachable_since.is_(None))
            .values(unreachable_since=uow.now)
        )
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
