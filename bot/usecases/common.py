"""What the use cases share: their context, refusals, and alerting a level."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot import render
from bot.domain.authz import Actor
from bot.domain.escalation import Audience, audience_of
from bot.domain.kinds import topic_of
from bot.domain.lifecycle import Action
from bot.domain.routing import level_zero
from bot.i18n import t
from bot.usecases.timing import deliver_from
from bot.usecases.uow import Priority, Send, UnitOfWork
from storage import queries
from storage.queries import Person, Request
from storage.tables import outbox, requests, rotation


@dataclass(frozen=True)
class Ctx:
    """What every use case needs besides the transaction: language and time zone."""

    lang: str
    tz: ZoneInfo


class Lazy(str):
    """A msgid used as a parameter of another message: translated when that one is."""


class Refused(Exception):
    """A use case declined; ``msgid`` and ``params`` say why, in the catalog's words."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    def text(self, lang: str) -> str:
        params = {k: t(lang, v) if isinstance(v, Lazy) else v for k, v in self.params.items()}
        return t(lang, self.msgid, **params)


@dataclass
class Alerted:
    level: int
    people: list[Person] = field(default_factory=list)


async def load_for(uow: UnitOfWork, number: int, actor: Actor, action: Action) -> Request:
    """Load a request and check that ``actor`` may do ``action`` to it."""
    from bot.domain.authz import may

    req = await queries.load_request(uow.conn, number)
    if req is None or not may(actor, action, req.facts):
        # The same answer for "no such request" and "not yours": numbers are not secrets,
        # but whether someone else's request exists is.
        raise Refused("There is no request #{number} that you can act on.", number=number)
    return req


async def set_state(uow: UnitOfWork, req: Request, expected: str, **values: Any) -> bool:
    """Change a request only if it is still in ``expected`` state (first writer wins)."""
    result = await uow.conn.execute(
        update(requests)
        .where(requests.c.id == req.id, requests.c.state == expected)
        .values(updated_at=uow.now, **values)
    )
    return result.rowcount == 1


async def recipients(uow: UnitOfWork, req: Request, level: int) -> list[Person]:
    """Who a level of this request's chain alerts (reachable people only)."""
    conn = uow.conn
    audience = audience_of(level)
    ids: list[int]
    if audience is Audience.MEMBERS:
        if req.branch_id is None:
            return []
        members = await queries.branch_members_as_candidates(conn, req.branch_id, uow.now)
        topic = topic_of(req.kind, req.category)
        last = await conn.scalar(
            select(rotation.c.last_person_id).where(
                rotation.c.branch_id == req.branch_id, rotation.c.topic == topic
            )
        )
        ids = level_zero(req.urgency, topic, members, last)
        if ids and len(ids) == 1 and req.urgency.value == "normal":
            await _remember_turn(uow, req.branch_id, topic, ids[0], known=last is not None)
    elif audience is Audience.SECRETARY:
        sec = await queries.secretary_of_branch(conn, req.branch_id) if req.branch_id else None
        ids = [sec] if sec is not None else []
    else:
        ids = await queries.committee_ids(conn)
    found = await queries.people_by_ids(conn, ids)
    return [
        found[i]
        for i in ids
        if i in found and found[i].telegram_id is not None and not found[i].unreachable
    ]


async def _remember_turn(
    uow: UnitOfWork, branch_id: int, topic: str, person_id: int, *, known: bool
) -> None:
    if known:
        await uow.conn.execute(
            update(rotation)
            .where(rotation.c.branch_id == branch_id, rotation.c.topic == topic)
            .values(last_person_id=person_id)
        )
    else:
        await uow.conn.execute(
            rotation.insert().values(branch_id=branch_id, topic=topic, last_person_id=person_id)
        )


def alert_text(ctx: Ctx, req: Request, now: datetime, *, escalated_from: int | None) -> str:
    lang = ctx.lang
    header = f"{render.kind_label(lang, req.kind, req.category)}  #{req.id}"
    who = req.requester_name
    if req.requester_department:
        who += f" · {req.requester_department}"
    if req.unregistered:
        who += "\n" + t(
            lang, "⚠ Not in the roster (Telegram id {chat_id})", chat_id=req.requester_chat_id
        )
    lines = [header, who]
    if escalated_from is not None:
        lines.insert(
            0,
            t(
                lang,
                "⬆ ESCALATION from level {level}: nobody has taken it for {age}",
                level=escalated_from,
                age=render.age_text(lang, now - req.created_at),
            ),
        )
    footer = t(
        lang,
        "Raised {time} ({age})",
        time=render.clock_text(req.created_at, ctx.tz),
        age=render.age_text(lang, now - req.created_at),
    )
    body = req.text or t(lang, "(no details yet; they will follow)")
    return render.fit_body("\n".join(lines), body, footer)


async def alert_from(
    uow: UnitOfWork, ctx: Ctx, req: Request, level: int, *, escalated_from: int | None = None
) -> Alerted:
    """Alert ``level``; a level with nobody reachable passes to the next one at once."""
    while True:
        people = await recipients(uow, req, level)
        if people or level >= req.chain.last_level:
            break
        level += 1
    text = alert_text(ctx, req, uow.now, escalated_from=escalated_from)
    not_before = await deliver_from(uow, req)
    for person in people:
        assert person.telegram_id is not None
        await uow.send(
            Send(
                chat_id=person.telegram_id,
                method="sendMessage",
                payload=render.text_message(text, render.take_button(ctx.lang, req.id)),
                priority=Priority.of(req.urgency),
                purpose="alert",
                request_id=req.id,
                recipient_id=person.id,
                level=level,
            ),
            not_before=not_before,
        )
    return Alerted(level, people)


async def notify(
    uow: UnitOfWork,
    req: Request,
    chat_id: int,
    text: str,
    *,
    buttons: list[list[tuple[str, Any]]] | None = None,
    purpose: str = "notice",
    recipient_id: int | None = None,
) -> int:
    """Queue a plain message about a request (replies to it are routed to the request)."""
    return await uow.send(
        Send(
            chat_id=chat_id,
            method="sendMessage",
            payload=render.text_message(text, buttons),
            priority=Priority.of(req.urgency),
            purpose=purpose,
            request_id=req.id,
            recipient_id=recipient_id,
        )
    )


async def retire_alerts(
    uow: UnitOfWork, ctx: Ctx, req: Request, note: str, *, keep_for: int | None = None
) -> list[int]:
    """Edit every alert of the request to ``note`` (no buttons); cancel unsent ones.

    Returns the outbox ids of the alerts sent to ``keep_for`` (left for the caller to edit).
    """
    rows = (
        await uow.conn.execute(
            select(
                outbox.c.id,
                outbox.c.status,
                outbox.c.recipient_id,
                outbox.c.chat_id,
                outbox.c.payload,
            )
            .where(outbox.c.request_id == req.id, outbox.c.purpose == "alert")
            .where(outbox.c.status.in_(("pending", "sending", "sent")))
        )
    ).all()
    kept: list[int] = []
    for row in rows:
        if keep_for is not None and row.recipient_id == keep_for:
            kept.append(row.id)
            continue
        if row.status == "pending":
            await uow.conn.execute(
                update(outbox).where(outbox.c.id == row.id).values(status="cancelled")
            )
            continue
        await uow.send(
            Send(
                chat_id=row.chat_id,
                method="editMessageText",
                payload={"text": render.with_note(row.payload["text"], note)},
                priority=Priority.of(req.urgency),
                purpose="edit",
                request_id=req.id,
                ref_id=row.id,
            )
        )
        await uow.conn.execute(
            update(outbox).where(outbox.c.id == row.id).values(purpose="alert-retired")
        )
    return kept
