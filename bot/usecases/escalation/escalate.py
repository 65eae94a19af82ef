"""Escalation: the next level is alerted when a level's wait runs out, when every alert of
a level proved undeliverable, or when someone asks for it (DESIGN.md §4)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.escalation import audience_of, next_step
from bot.domain.lifecycle import State
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.requests import Request
from bot.i18n import t
from bot.texts import render
from bot.usecases.common import Alerted, Ctx
from bot.usecases.escalation.alerting import send_alerts, staffed_by, staffing
from bot.usecases.escalation.timing import calendar
from storage import queries, request_alerts, routing_queries
from storage.uow import Send, UnitOfWork


async def escalate(
    uow: UnitOfWork,
    ctx: Ctx,
    req: Request,
    *,
    reason: str,
    actor_id: int | None = None,
) -> Alerted:
    """Alert the next level now (asked for, or the level proved undeliverable); the step
    that was waiting is replaced by the next level's."""
    await uow.disarm(req.id, DeadlineKind.ESCALATE)
    (alerted,) = await escalate_many(uow, ctx, [(req, uow.now)], reason=reason, actor_id=actor_id)
    return alerted


async def escalate_many(
    uow: UnitOfWork,
    ctx: Ctx,
    steps: list[tuple[Request, datetime]],
    *,
    reason: str,
    actor_id: int | None = None,
) -> list[Alerted]:
    """Alert the next level of each request (the last one again when at the top).

    ``steps`` pairs each request with when its step was due: the next wait counts from
    there, so a chain that fell behind while the bot was down catches up.
    """
    if not steps:
        return []
    staffs = await staffing(uow, [req for req, _ in steps])
    levels = []
    for (req, since), staff in zip(steps, staffs, strict=True):
        cal = await calendar(uow, req)
        step = next_step(req.chain, req.level, since, staffed_by(staff), cal)
        alerted = Alerted(step.level, staff.get(audience_of(step.level), []))
        await send_alerts(uow, ctx, req, alerted, escalated_from=req.level)
        await uow.event(
            req.id,
            "escalated",
            actor_id=actor_id,
            reason=reason,
            level=alerted.level,
            to=[p.id for p in alerted.people],
        )
        await uow.arm(DeadlineKind.ESCALATE, step.next_due, request_id=req.id, level=step.level)
        levels.append(alerted)
    await routing_queries.set_levels(
        uow.conn,
        {req.id: alerted.level for (req, _), alerted in zip(steps, levels, strict=True)},
        uow.now,
    )
    return levels


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
        if await routing_queries.mark_unreachable(uow.conn, recipient_id, uow.now):
            await _tell_secretaries(uow, ctx, recipient_id, reason)
    if request_id is None:
        return
    await uow.event(request_id, "undeliverable", to=recipient_id, reason=reason, level=level)
    req = await queries.load_request(uow.conn, request_id)
    if req is None or req.state is not State.OPEN or level is None or level != req.level:
        return
    if not await request_alerts.alive_at_level(uow.conn, request_id, level):
        await escalate(uow, ctx, req, reason="undeliverable")


async def _tell_secretaries(uow: UnitOfWork, ctx: Ctx, person_id: int, reason: str) -> None:
    """A member's secretary learns the member cannot be reached (once, until they write)."""
    person = await queries.person_by_id(uow.conn, person_id)
    if person is None:
        return
    for sec_id, chat_id in await routing_queries.secretaries_over(uow.conn, person_id):
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
                purpose=Purpose.NOTICE,
                recipient_id=sec_id,
            )
        )
