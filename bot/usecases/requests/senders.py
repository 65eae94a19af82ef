"""Stopping a flood from the phone: everything one sender has open, cancelled with a
reason; an account the roster does not know, blocked.

A secretary may do it for requests of their branch, the committee for any (a sender the
roster does not know has no branch, so blocking one is the committee's). A blocked
account's updates are still stored - nothing anyone sends is lost - but not acted on.
Its requests stay cancelled after ``/unblock``; the account may simply write again.
"""

from __future__ import annotations

from bot.domain.authz import Actor, may
from bot.domain.lifecycle import Action, State
from bot.domain.requests import Request
from bot.i18n import t
from bot.usecases.common import Ctx, Refused, load_for, notify, set_state, wind_up_cancelled
from storage import blocklist, queries
from storage.uow import UnitOfWork

STOPPABLE = (State.OPEN, State.TAKEN)


async def cancel_all(
    uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int, reason: str
) -> list[int]:
    """/cancelall N reason: every open or taken request of #N's sender that ``actor``
    oversees is cancelled, the reason on each timeline; the sender is told once."""
    req = await load_for(uow, number, actor, Action.STOP_SENDER)
    _need_reason(reason, f"/cancelall {number} reason")
    done = await _cancel_sender(uow, ctx, actor, req, reason)
    if done:
        await notify(
            uow,
            req,
            req.requester_chat_id,
            t(
                ctx.lang,
                "✖ Your requests {numbers} were cancelled by {name}: {reason}",
                numbers=", ".join(f"#{n}" for n in done),
                name=actor.name,
                reason=reason,
            ),
        )
    return done


async def block(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int, reason: str) -> list[int]:
    """/block N reason: #N's sender, unknown to the roster, is blocked and what they have
    open is cancelled; the account is told once. Returns the cancelled numbers."""
    req = await load_for(uow, number, actor, Action.STOP_SENDER)
    if not req.unregistered:
        raise Refused(
            "Request #{number} comes from someone in the roster: use /cancelall {number} "
            "reason, or /remove.",
            number=number,
        )
    _need_reason(reason, f"/block {number} reason")
    if not await blocklist.block(uow.conn, req.requester_chat_id, actor.person_id, reason, uow.now):
        raise Refused(
            "That account is blocked already; /unblock {number} undoes it.", number=number
        )
    await uow.event(req.id, "blocked", actor_id=actor.person_id, reason=reason)
    done = await _cancel_sender(uow, ctx, actor, req, "blocked: " + reason)
    await notify(
        uow,
        req,
        req.requester_chat_id,
        t(
            ctx.lang,
            "This help line no longer handles messages from this account. In an emergency "
            "call 120 or 110 by phone.",
        ),
    )
    return done


async def unblock(uow: UnitOfWork, actor: Actor, number: int) -> Request:
    req = await load_for(uow, number, actor, Action.STOP_SENDER)
    if not await blocklist.unblock(uow.conn, req.requester_chat_id):
        raise Refused("The sender of request #{number} is not blocked.", number=number)
    await uow.event(req.id, "unblocked", actor_id=actor.person_id)
    return req


def _need_reason(reason: str, command: str) -> None:
    if not reason.strip():
        raise Refused("Say why: {command}", command=command)


async def _cancel_sender(
    uow: UnitOfWork, ctx: Ctx, actor: Actor, req: Request, reason: str
) -> list[int]:
    theirs = await queries.requests_where(
        uow.conn, requester_chat_id=req.requester_chat_id, states=list(STOPPABLE), limit=1000
    )
    note = t(ctx.lang, "✖ Cancelled by {name}: {reason}", name=actor.name, reason=reason)
    done = []
    for mine in sorted(theirs, key=lambda r: r.id):
        if not may(actor, Action.STOP_SENDER, mine.facts):
            continue  # another branch's: not this secretary's to cancel
        if await set_state(uow, mine, mine.state.value, state=State.CANCELLED.value):
            told = t(
                ctx.lang,
                "✖ {name} cancelled request #{number}: {reason}",
                name=actor.name,
                number=mine.id,
                reason=reason,
            )
            await wind_up_cancelled(uow, ctx, mine, actor, note, told, reason=reason)
            done.append(mine.id)
    return done
