"""A secretary confirming on a worker's behalf or reopening; anyone involved escalating now."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.authz import Actor
from bot.domain.escalation import Audience
from bot.domain.lifecycle import Action, State
from bot.domain.people import Person
from bot.domain.purposes import Purpose
from bot.domain.requests import Request
from bot.i18n import t
from bot.texts import render
from bot.usecases.common import (
    Ctx,
    Lazy,
    Refused,
    allowed,
    load_for,
    notify,
    notify_people,
    retire_at_close,
    transition,
)
from bot.usecases.escalation.alerting import recipients
from bot.usecases.escalation.escalate import escalate
from bot.usecases.escalation.timing import arm_after_take
from storage import queries
from storage.uow import UnitOfWork


async def confirm_for(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int, reason: str) -> Request:
    """Close a resolved request the worker never confirmed; the reason is required."""
    req = await load_for(uow, number, actor, Action.CONFIRM_FOR)
    if not reason.strip():
        raise Refused("Say why you confirm for the worker: /confirm {number} reason", number=number)
    await transition(uow, req, Action.CONFIRM_FOR)
    await uow.event(
        req.id,
        "closed",
        actor_id=actor.person_id,
        actor_chat_id=actor.chat_id,
        on_behalf=True,
        reason=reason,
    )
    await uow.disarm(req.id)
    await retire_at_close(uow, ctx, req)
    await notify(
        uow,
        req,
        req.requester_chat_id,
        t(
            ctx.lang,
            "Request #{number} was closed by {name} on your behalf: {reason}",
            number=req.id,
            name=actor.name,
            reason=reason,
        ),
    )
    return req


async def check_may_confirm_for(uow: UnitOfWork, actor: Actor, number: int) -> None:
    """The Confirm-for button only explains the command; it still checks who presses it."""
    req = await load_for(uow, number, actor, Action.CONFIRM_FOR)
    allowed(req, Action.CONFIRM_FOR)


async def reopen(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int) -> Request:
    """Send a resolved request back to its owner."""
    req = await load_for(uow, number, actor, Action.REOPEN)
    await transition(uow, req, Action.REOPEN)
    await uow.event(req.id, "reopened", actor_id=actor.person_id, actor_chat_id=actor.chat_id)
    await uow.disarm(req.id)
    owner = await queries.person_by_id(uow.conn, req.owner_id) if req.owner_id else None
    if owner is not None:
        await arm_after_take(uow, req, owner.id)
        if owner.telegram_id:
            await notify(
                uow,
                req,
                owner.telegram_id,
                t(
                    ctx.lang,
                    "❗ {name} reopened request #{number}: it is yours again.",
                    name=actor.name,
                    number=req.id,
                ),
                buttons=render.owner_buttons(ctx.lang, req.id),
                purpose=Purpose.OWNER,
                recipient_id=owner.id,
            )
    return req


async def escalate_now(
    uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int, reason: str
) -> list[Person]:
    """Push a request up one level at once; a taken one keeps its owner, and the next level
    is told why."""
    req = await load_for(uow, number, actor, Action.ESCALATE)
    if req.branch_id in actor.secretary_of:
        # The secretary is the level they would escalate to: go above them.
        req = replace(req, level=max(req.level, int(Audience.SECRETARY)))
    if req.state is State.OPEN:
        alerted = await escalate(uow, ctx, req, reason=reason or "asked", actor_id=actor.person_id)
        return alerted.people
    if req.state is not State.TAKEN:
        raise Refused(
            "Request #{number} is {state} now, so this can no longer be done.",
            number=number,
            state=Lazy(render.STATE_LABELS[req.state]),
        )
    level = req.chain.next_level(req.level)
    people = await recipients(uow, req, level)
    await queries.set_level(uow.conn, req.id, level)
    await uow.event(
        req.id,
        "escalated",
        actor_id=actor.person_id,
        actor_chat_id=actor.chat_id,
        reason=reason,
        level=level,
        to=[p.id for p in people],
    )
    text = t(
        ctx.lang,
        "⬆ {name} escalated request #{number} ({worker}): {reason}\n/status {number}",
        name=actor.name,
        number=req.id,
        worker=req.requester_name,
        reason=reason or "-",
    )
    await notify_people(uow, req, people, text)
    return people
