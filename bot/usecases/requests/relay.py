"""Talk through the bot: the worker's and the owner's messages reach each other only.

Nothing a worker sends is lost: every message is on the request's timeline, and before
anyone has taken the request, it goes to everyone who was alerted.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.authz import Actor, is_requester, may
from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.lifecycle import ACTIVE_STATES, Action, State
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.requests import Request
from bot.i18n import t
from bot.texts import render
from bot.texts.textfit import TEXT_LIMIT, split, utf16_len
from bot.usecases.common import Ctx, Refused
from storage import queries, request_alerts
from storage.uow import Send, UnitOfWork


class NoTarget(Exception):
    """The sender has no active request a free message could be about."""


@dataclass(frozen=True)
class Media:
    """A photo, voice note, location or other content, copied as Telegram holds it."""

    kind: str  # "photo", "voice", "location", "document", ...
    message_id: int  # the sender's message, copied with copyMessage
    file_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class Relayed:
    request: Request
    to_names: list[str]


async def find_target(uow: UnitOfWork, actor: Actor, reply_to_message_id: int | None) -> Request:
    """Which request a free message is about: the one replied to, or the only active one."""
    conn = uow.conn
    if reply_to_message_id is not None:
        number = await queries.request_of_message(conn, actor.chat_id, reply_to_message_id)
        if number is not None:
            req = await queries.load_request(conn, number)
            if req is not None and may(actor, Action.MESSAGE, req.facts):
                return req
    states = list(ACTIVE_STATES)
    mine = await queries.requests_where(conn, requester_chat_id=actor.chat_id, states=states)
    if actor.person_id is not None:
        mine += await queries.requests_where(
            conn, owner_id=actor.person_id, states=[State.TAKEN, State.RESOLVED]
        )
    unique = {r.id: r for r in mine}
    if len(unique) == 1:
        return next(iter(unique.values()))
    if not unique:
        raise NoTarget()
    raise Refused(
        "You have several requests going ({numbers}). Reply to a message of the one you mean.",
        numbers=", ".join(f"#{n}" for n in sorted(unique)),
    )


async def _audience(
    uow: UnitOfWork, actor: Actor, req: Request
) -> list[tuple[int, int | None, str]]:
    """(chat id, person id, name) of whoever should see this message."""
    if not is_requester(actor, req.facts):
        return [(req.requester_chat_id, req.requester_id, req.requester_name)]
    if req.owner_id is not None and req.state is not State.OPEN:
        owner = await queries.person_by_id(uow.conn, req.owner_id)
        if owner and owner.active and owner.telegram_id:
            return [(owner.telegram_id, owner.id, owner.name)]
        return []
    alerted = await request_alerts.alerted_people(uow.conn, req.id)
    found = await queries.people_by_ids(uow.conn, alerted)
    # Someone taken off the roster since their alert hears nothing more of it.
    return [(p.telegram_id, p.id, p.name) for p in found.values() if p.telegram_id and p.active]


async def relay(
    uow: UnitOfWork,
    ctx: Ctx,
    actor: Actor,
    req: Request,
    *,
    text: str = "",
    media: Media | None = None,
) -> Relayed:
    if not may(actor, Action.MESSAGE, req.facts) or req.state not in ACTIVE_STATES:
        raise Refused("There is no request #{number} that you can act on.", number=req.id)
    sender = req.requester_name if is_requester(actor, req.facts) else actor.name
    await uow.event(
        req.id,
        "message",
        actor_id=actor.person_id,
        actor_chat_id=actor.chat_id,
        text=text,
        media=media.__dict__ if media else None,
    )
    if not is_requester(actor, req.facts):
        await uow.disarm(req.id, DeadlineKind.OWNER_SILENT)  # the owner has spoken
    if is_requester(actor, req.facts) and not req.text and text:
        # The first words after a bare /120 become the request's details.
        await queries.set_details(uow.conn, req.id, text, uow.now)
    header = t(ctx.lang, "💬 #{number} {name}:", number=req.id, name=sender)
    audience = await _audience(uow, actor, req)
    for chat_id, person_id, _name in audience:
        await _send_to(uow, req, chat_id, person_id, header, text, media, actor.chat_id)
    return Relayed(req, [name for _c, _p, name in audience])


async def _send_to(
    uow: UnitOfWork,
    req: Request,
    chat_id: int,
    person_id: int | None,
    header: str,
    text: str,
    media: Media | None,
    from_chat_id: int,
) -> None:
    def queue(method: str, payload: dict[str, object]) -> Send:
        return Send(
            chat_id=chat_id,
            method=method,
            payload=payload,
            priority=Priority.of(req.urgency),
            purpose=Purpose.RELAY,
            request_id=req.id,
            recipient_id=person_id,
        )

    if media is None:
        pieces = split(text, TEXT_LIMIT - utf16_len(header) - 1)
        for piece in pieces:
            await uow.send(queue("sendMessage", render.text_message(f"{header}\n{piece}")))
        return
    await uow.send(queue("sendMessage", render.text_message(header)))
    await uow.send(
        queue("copyMessage", {"from_chat_id": from_chat_id, "message_id": media.message_id})
    )
