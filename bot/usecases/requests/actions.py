"""Take, release, resolve, confirm, reject, rate and cancel a request.

Each is one transaction: a conditional state change (so two presses at the same instant
cannot both win), a timeline event, the messages to send and the deadlines to move.
"""

from __future__ import annotations

from bot.domain.authz import Actor
from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.lifecycle import Action, State, may_rate
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.requests import Request
from bot.i18n import t
from bot.texts import render
from bot.usecases.common import (
    Ctx,
    Refused,
    allowed,
    load_for,
    notify,
    retire_alerts,
    retire_at_close,
    retire_with_owner,
    set_state,
    tell_worker_who_handles,
    transition,
    wind_up_cancelled,
)
from bot.usecases.escalation.alerting import alert_from
from bot.usecases.escalation.timing import arm_after_resolve, arm_after_take, arm_escalation
from storage import queries, request_alerts
from storage.uow import Send, UnitOfWork


async def _owner_name(uow: UnitOfWork, req: Request) -> str:
    if req.owner_id is None:
        return "?"
    owner = await queries.person_by_id(uow.conn, req.owner_id)
    return owner.name if owner else "?"


async def take(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int) -> Request:
    req = await load_for(uow, number, actor, Action.TAKE)
    if req.state is State.TAKEN and req.owner_id == actor.person_id:
        raise Refused("You already handle request #{number}.", number=number)
    if req.state is not State.OPEN or not await set_state(
        uow, req, State.OPEN, state=State.TAKEN.value, owner_id=actor.person_id
    ):
        fresh = await queries.load_request(uow.conn, number)
        assert fresh is not None
        if fresh.owner_id is not None and fresh.state is State.TAKEN:
            raise Refused(
                "Request #{number} was already taken by {name}.",
                number=number,
                name=await _owner_name(uow, fresh),
            )
        allowed(fresh, Action.TAKE)
    await uow.event(req.id, "taken", actor_id=actor.person_id, actor_chat_id=actor.chat_id)
    await uow.disarm(req.id, DeadlineKind.ESCALATE)
    assert actor.person_id is not None
    await arm_after_take(uow, req, actor.person_id)
    lang = ctx.lang
    kept = await retire_alerts(
        uow, ctx, req, t(lang, "✅ Taken by {name}", name=actor.name), keep_for=actor.person_id
    )
    mine = t(
        lang,
        "✅ You took request #{number}. Reply to this message to talk to {worker}.",
        number=req.id,
        worker=req.requester_name,
    )
    for ref in kept:
        payload: dict[str, object] = {
            "text": "",
            "reply_markup": render.keyboard(render.owner_buttons(lang, req.id)),
        }
        await _edit_own_alert(uow, req, ref, mine, payload)
    if not kept:
        await notify(
            uow,
            req,
            actor.chat_id,
            render.fit_body(mine, req.text, ""),
            buttons=render.owner_buttons(lang, req.id),
            purpose=Purpose.OWNER,
            recipient_id=actor.person_id,
        )
    await tell_worker_who_handles(uow, lang, req, actor.name)
    taken = await queries.load_request(uow.conn, number)
    assert taken is not None
    return taken


async def _edit_own_alert(
    uow: UnitOfWork, req: Request, ref: int, note: str, payload: dict[str, object]
) -> None:
    row = await request_alerts.alert_row(uow.conn, ref)
    payload["text"] = render.with_note(row.payload["text"], note)
    if row.status == "pending":
        # Not yet on the phone: send the owner's version instead of an edit.
        await request_alerts.make_owners(uow.conn, ref, payload)
        return
    await uow.send(
        Send(
            chat_id=row.chat_id,
            method="editMessageText",
            payload=payload,
            priority=Priority.of(req.urgency),
            purpose=Purpose.EDIT,
            request_id=req.id,
            ref_id=ref,
        )
    )
    await request_alerts.make_owners(uow.conn, ref)


async def release(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int) -> Request:
    req = await load_for(uow, number, actor, Action.RELEASE)
    await transition(uow, req, Action.RELEASE, owner_id=None)
    await uow.event(req.id, "released", actor_id=actor.person_id, actor_chat_id=actor.chat_id)
    return await alert_again(uow, ctx, req, t(ctx.lang, "↩ Released by {name}", name=actor.name))


async def alert_again(uow: UnitOfWork, ctx: Ctx, req: Request, note: str) -> Request:
    """A request that has just gone back to open: retire its old alerts with ``note``,
    alert its members again and tell the worker."""
    number = req.id
    await uow.disarm(req.id)
    await retire_with_owner(uow, ctx, req, note)
    reopened = await queries.load_request(uow.conn, number)
    assert reopened is not None
    alerted = await alert_from(uow, ctx, reopened, 0)
    await uow.event(req.id, "alerted", level=alerted.level, to=[p.id for p in alerted.people])
    await arm_escalation(uow, reopened, alerted.level)
    await notify(
        uow,
        req,
        req.requester_chat_id,
        t(
            ctx.lang,
            "Request #{number} is being passed to someone else; we are alerting again.",
            number=req.id,
        ),
    )
    return reopened


async def resolve(
    uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int, summary: str = ""
) -> Request:
    req = await load_for(uow, number, actor, Action.RESOLVE)
    await transition(uow, req, Action.RESOLVE)
    await uow.event(
        req.id, "resolved", actor_id=actor.person_id, actor_chat_id=actor.chat_id, summary=summary
    )
    await uow.disarm(req.id)
    await arm_after_resolve(uow, req)
    lang = ctx.lang
    text = t(
        lang, "✔ {name} marked your request #{number} as resolved.", name=actor.name, number=req.id
    )
    question = t(lang, "Is your trouble over?")
    await notify(
        uow,
        req,
        req.requester_chat_id,
        render.fit_body(text, summary, question),
        buttons=render.confirm_buttons(lang, req.id),
        purpose=Purpose.CONFIRM,
    )
    done = await queries.load_request(uow.conn, number)
    assert done is not None
    return done


async def confirm(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int) -> Request:
    req = await load_for(uow, number, actor, Action.CONFIRM)
    await transition(uow, req, Action.CONFIRM)
    await uow.event(req.id, "closed", actor_id=actor.person_id, actor_chat_id=actor.chat_id)
    await uow.disarm(req.id)
    lang = ctx.lang
    await retire_at_close(uow, ctx, req)
    await notify(
        uow,
        req,
        req.requester_chat_id,
        t(
            lang,
            "Thank you. Request #{number} is closed. How would you rate the help?",
            number=req.id,
        ),
        buttons=render.rating_buttons(req.id),
        purpose=Purpose.RATE,
    )
    if req.owner_id is not None:
        owner = await queries.person_by_id(uow.conn, req.owner_id)
        if owner and owner.telegram_id:
            await notify(
                uow,
                req,
                owner.telegram_id,
                t(
                    lang,
                    "🎉 {worker} confirmed request #{number} is resolved. Thank you.",
                    worker=req.requester_name,
                    number=req.id,
                ),
            )
    return req


async def reject(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int, reason: str = "") -> Request:
    """The worker says it is not resolved: back to the same owner."""
    req = await load_for(uow, number, actor, Action.REJECT)
    await transition(uow, req, Action.REJECT)
    await uow.event(
        req.id, "reopened", actor_id=actor.person_id, actor_chat_id=actor.chat_id, reason=reason
    )
    await uow.disarm(req.id)
    if req.owner_id is not None:
        await arm_after_take(uow, req, req.owner_id)
    lang = ctx.lang
    await notify(
        uow,
        req,
        req.requester_chat_id,
        t(
            lang,
            "Request #{number} goes back to {name}. Reply to this message to tell them "
            "what is still wrong.",
            number=req.id,
            name=await _owner_name(uow, req),
        ),
        purpose=Purpose.REASON,
    )
    owner = await queries.person_by_id(uow.conn, req.owner_id) if req.owner_id else None
    if owner and owner.telegram_id:
        await notify(
            uow,
            req,
            owner.telegram_id,
            render.fit_body(
                t(
                    lang,
                    "❗ {worker} says request #{number} is NOT resolved. It is yours again.",
                    worker=req.requester_name,
                    number=req.id,
                ),
                reason,
                "",
            ),
            buttons=render.owner_buttons(lang, req.id),
            purpose=Purpose.OWNER,
            recipient_id=owner.id,
        )
    back = await queries.load_request(uow.conn, number)
    assert back is not None
    return back


async def rate(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int, stars: int) -> Request:
    req = await load_for(uow, number, actor, Action.RATE)
    if not 1 <= stars <= 5:
        raise Refused("A rating is a number from 1 to 5.")
    if not may_rate(req.state, req.rating):
        raise Refused("Request #{number} has already been rated, thank you.", number=number)
    if not await queries.rate_once(uow.conn, req.id, stars, uow.now):
        raise Refused("Request #{number} has already been rated, thank you.", number=number)
    await uow.event(req.id, "rated", actor_chat_id=actor.chat_id, stars=stars)
    return req


async def cancel(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int) -> Request:
    req = await load_for(uow, number, actor, Action.CANCEL)
    await transition(uow, req, Action.CANCEL)
    await wind_up_cancelled(
        uow,
        ctx,
        req,
        actor,
        t(ctx.lang, "✖ Withdrawn by {name}", name=req.requester_name),
        t(
            ctx.lang,
            "✖ {worker} withdrew request #{number}.",
            worker=req.requester_name,
            number=req.id,
        ),
    )
    return req
