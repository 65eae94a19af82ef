"""Raise a request: stored, numbered and alerted in one transaction, before any question."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.authz import Actor
from bot.domain.escalation import Audience
from bot.domain.kinds import DEFAULT_URGENCY, Category, Kind
from bot.domain.lifecycle import State
from bot.domain.people import Person
from bot.domain.purposes import Purpose
from bot.domain.repeats import JOINS, asks_for_new, over_budget
from bot.domain.requests import Request
from bot.i18n import t
from bot.texts import render
from bot.usecases.common import Ctx, notify
from bot.usecases.escalation.alerting import alert_from
from bot.usecases.escalation.timing import arm_escalation
from bot.usecases.requests.relay import relay
from storage import queries
from storage.uow import UnitOfWork


@dataclass
class Raised:
    request: Request
    told: list[Person]
    duplicate: bool = False  # the same update was delivered twice


async def raise_or_join(
    uow: UnitOfWork,
    ctx: Ctx,
    sender: Actor,
    *,
    kind: Kind,
    text: str = "",
    update_id: int | None = None,
) -> Raised:
    """A /120 or /110: added to the sender's open or taken request of the same kind
    (``bot/domain/repeats.py``), unless it starts with "new"; else raised. One read
    answers both "was this update handled already?" and "is there one to join?".

    ``sender`` needs only the chat and the name Telegram gives: who they are in the
    roster is read here, in the transaction (a flood of emergencies must not first
    queue a hundred reads of roles that raising a request does not look at)."""
    new, text = asks_for_new(text)
    found = await queries.request_to_join(
        uow.conn, sender.chat_id, kind.value, [s.value for s in JOINS], update_id
    )
    if found is not None:
        req, duplicate = found
        if duplicate:
            return Raised(req, [], duplicate=True)
        if not new:
            actor = await queries.load_actor(uow.conn, sender.chat_id, sender.name)
            return await _join(uow, ctx, actor, req, text)
    return await raise_request(uow, ctx, sender, kind=kind, text=text, update_id=update_id)


async def _join(uow: UnitOfWork, ctx: Ctx, actor: Actor, req: Request, text: str) -> Raised:
    words = text or t(ctx.lang, "(sent {command} again)", command=f"/{req.kind.value}")
    relayed = await relay(uow, ctx, actor, req, text=words)
    await notify(
        uow,
        req,
        actor.chat_id,
        t(
            ctx.lang,
            "➕ Added to your request #{number}; {names} have it. For a separate "
            "emergency send /{command} new and what happened.",
            number=req.id,
            names=render.names_list(ctx.lang, relayed.to_names) or t(ctx.lang, "the duty officers"),
            command=req.kind.value,
        ),
        purpose=Purpose.ACK,
    )
    return Raised(req, [])


async def raise_request(
    uow: UnitOfWork,
    ctx: Ctx,
    actor: Actor,
    *,
    kind: Kind,
    category: Category | None = None,
    text: str = "",
    update_id: int | None = None,
) -> Raised:
    """Store the request, alert its first reachable level, arm its escalation, tell the
    worker. A redelivered ``update_id`` is caught before, by ``raise_or_join``."""
    conn = uow.conn
    person = await queries.person_by_chat(conn, actor.chat_id)
    employee = (
        await queries.person_by_id(conn, person.family_of_id)
        if person is not None and person.family_of_id is not None
        else None
    )
    branch_id = await queries.branch_of_person(conn, person) if person else None
    urgency = DEFAULT_URGENCY[kind]
    policy = await uow.policy()
    chain = policy.chain_for(kind)
    budget = policy.request_budget
    spent = over_budget(
        await queries.raised_since(conn, actor.chat_id, uow.now - budget[1]), budget
    )
    # Unknown senders, and people no branch serves, go to the committee's level at once.
    start = Audience.MEMBERS if branch_id is not None else Audience.COMMITTEE
    req = await queries.insert_request(
        conn,
        kind=kind.value,
        category=category.value if category else None,
        urgency=urgency.value,
        state=State.OPEN.value,
        branch_id=branch_id,
        requester_id=person.id if person else None,
        requester_chat_id=actor.chat_id,
        requester_name=person.name if person else (actor.name or str(actor.chat_id)),
        requester_department=person.department if person else None,
        unregistered=person is None,
        family_of_name=employee.name if employee else None,
        text=text,
        level=int(start),
        chain=chain.frozen_json(),
        source_update_id=update_id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    await uow.event(
        req.id,
        "raised",
        actor_id=person.id if person else None,
        actor_chat_id=actor.chat_id,
        kind=kind.value,
        category=req.category.value if req.category else None,
        text=text,
        unregistered=person is None,
    )
    if spent:
        return await _stored_only(uow, ctx, req, budget[0])
    alerted = await alert_from(uow, ctx, req, int(start))
    if alerted.level != req.level:
        await queries.set_level(conn, req.id, alerted.level)
    await uow.event(req.id, "alerted", level=alerted.level, to=[p.id for p in alerted.people])
    await arm_escalation(uow, req, alerted.level)
    if employee is not None and employee.telegram_id is not None:
        await notify(
            uow,
            req,
            employee.telegram_id,
            t(
                ctx.lang,
                "👪 {name} of your family raised request #{number} ({kind}); the branch is on it.",
                name=req.requester_name,
                number=req.id,
                kind=render.kind_label(ctx.lang, kind, category),
            ),
            recipient_id=employee.id,
        )
    names = render.names_list(ctx.lang, (p.name for p in alerted.people)) or t(
        ctx.lang, "the duty officers"
    )
    await notify(
        uow,
        req,
        actor.chat_id,
        t(
            ctx.lang,
            "✅ Request #{number} received. We are telling {names} now; you will hear from "
            "whoever takes it. Reply to this message to add anything.",
            number=req.id,
            names=names,
        ),
        purpose=Purpose.ACK,
    )
    if not text and kind is not Kind.SERVICE:
        await notify(
            uow,
            req,
            actor.chat_id,
            t(
                ctx.lang,
                "What happened, and where are you? Send text, a photo, a voice note or your "
                "location: it goes straight to whoever handles request #{number}.",
                number=req.id,
            ),
            purpose=Purpose.ASK,
        )
    return Raised(req, alerted.people)


async def _stored_only(uow: UnitOfWork, ctx: Ctx, req: Request, allowed: int) -> Raised:
    """Past the sender's budget: kept, on the board and in the digest, and no phone rings."""
    await uow.event(req.id, "over_budget", allowed=allowed)
    await notify(
        uow,
        req,
        req.requester_chat_id,
        t(
            ctx.lang,
            "⚠ You have raised {allowed} requests within a short time. Request #{number} is "
            "stored and shown to the branch and the duty officers on their board, but no "
            "phone rings for it. In an emergency call 120 or 110 by phone.",
            allowed=allowed,
            number=req.id,
        ),
        purpose=Purpose.ACK,
    )
    return Raised(req, [])
