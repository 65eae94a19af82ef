"""What the use cases share: their context, refusals, and alerting a level."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.domain.authz import Actor
from bot.domain.lifecycle import Action, State, next_state
from bot.domain.people import Person
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.refusal import DomainRefusal
from bot.domain.requests import Request
from bot.i18n import t
from bot.texts import render
from storage import bundles, queries, request_alerts
from storage.uow import Send, UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class Ctx:
    """What every use case needs besides the transaction: language and time zone."""

    lang: str
    tz: ZoneInfo


# A use case run as the sender of an update, in a transaction of its own.
Work = Callable[[UnitOfWork, Ctx, Actor], Awaitable[T]]


class Lazy(str):
    """A msgid used as a parameter of another message: translated when that one is."""


class Refused(Exception):
    """A use case declined; ``msgid`` and ``params`` say why, in the catalog's words."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    @classmethod
    def of(cls, error: DomainRefusal) -> Refused:
        """Pass on a domain rule's refusal in the same words."""
        return cls(error.msgid, **error.params)

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
    return await queries.set_state_if(uow.conn, req.id, expected, uow.now, **values)


def allowed(req: Request, action: Action) -> State:
    """The state ``action`` leads to; refuse in the user's words if the request's state
    does not allow it."""
    target = next_state(req.state, action)
    if target is None:
        raise Refused(
            "Request #{number} is {state} now, so this can no longer be done.",
            number=req.id,
            state=Lazy(render.STATE_LABELS[req.state]),
        )
    return target


async def transition(uow: UnitOfWork, req: Request, action: Action, **values: Any) -> None:
    """Move the request by ``action`` if it is still where it was loaded; else refuse."""
    target = allowed(req, action)
    if not await set_state(uow, req, req.state, state=target.value, **values):
        raise Refused("Request #{number} changed in the meantime; look again.", number=req.id)


async def notify(
    uow: UnitOfWork,
    req: Request,
    chat_id: int,
    text: str,
    *,
    buttons: list[list[tuple[str, Any]]] | None = None,
    purpose: str = Purpose.NOTICE,
    recipient_id: int | None = None,
    priority: int | None = None,
) -> int | None:
    """Queue a plain message about a request (replies to it are routed to the request)."""
    return await uow.send(
        Send(
            chat_id=chat_id,
            method="sendMessage",
            payload=render.text_message(text, buttons),
            priority=Priority.of(req.urgency) if priority is None else priority,
            purpose=purpose,
            request_id=req.id,
            recipient_id=recipient_id,
        )
    )


async def notify_people(
    uow: UnitOfWork,
    req: Request,
    people: list[Person],
    text: str,
    *,
    buttons: list[list[tuple[str, Any]]] | None = None,
    purpose: str = Purpose.NOTICE,
) -> list[int]:
    """``notify`` each of ``people`` who has a Telegram account; return who was told."""
    told = []
    for person in people:
        if person.telegram_id is None:
            continue
        await notify(
            uow,
            req,
            person.telegram_id,
            text,
            buttons=buttons,
            purpose=purpose,
            recipient_id=person.id,
        )
        told.append(person.id)
    return told


async def redraw_bundle(uow: UnitOfWork, bundle_id: int, chat_id: int, priority: int) -> None:
    """Queue an edit that draws a bundle as it is when the edit leaves, unless one is
    queued already or the bundle itself has not left yet (both will show this change)."""
    if not await bundles.redraw_pending(uow.conn, bundle_id):
        await uow.send(
            Send(
                chat_id=chat_id,
                method="editMessageText",
                payload={"bundle": bundle_id},
                priority=priority,
                purpose=Purpose.EDIT,
                ref_id=bundle_id,
            )
        )


async def retire_alerts(
    uow: UnitOfWork, ctx: Ctx, req: Request, note: str, *, keep_for: int | None = None
) -> list[int]:
    """Edit every alert of the request to ``note`` (no buttons); cancel unsent ones; in a
    bundle, the request's entry says ``note`` and the bundle is drawn again.

    Returns the outbox ids of the alerts sent alone to ``keep_for`` (left for the caller to
    edit); one in a bundle is not returned, so the caller writes to them afresh.
    """
    rows = await request_alerts.alive_alerts(uow.conn, req.id)
    kept: list[int] = []
    for row in rows:
        if row.ref_id is not None:  # carried by a bundle: its entry changes, not a message
            await bundles.retire_member(uow.conn, row.id, row.payload, note)
            await redraw_bundle(uow, row.ref_id, row.chat_id, Priority.of(req.urgency))
            continue
        if keep_for is not None and row.recipient_id == keep_for:
            kept.append(row.id)
            continue
        if row.status == "pending":
            await request_alerts.cancel(uow.conn, row.id)
            continue
        await _note_below(uow, req, row, note)
        await request_alerts.retired(uow.conn, row.id)
    return kept


async def _note_below(uow: UnitOfWork, req: Request, row: Any, note: str) -> None:
    """Edit a message the request sent (``row``: its outbox id, chat and payload) to end
    with ``note``; an edit that names no keyboard takes the buttons away."""
    await uow.send(
        Send(
            chat_id=row.chat_id,
            method="editMessageText",
            payload={"text": render.with_note(row.payload["text"], note)},
            priority=Priority.of(req.urgency),
            purpose=Purpose.EDIT,
            request_id=req.id,
            ref_id=row.id,
        )
    )


async def retire_with_owner(uow: UnitOfWork, ctx: Ctx, req: Request, note: str) -> None:
    """Retire the alerts and the owner's own messages too: they carry the owner's buttons
    (Resolved, Release), which must not stay on a phone once the request moved on."""
    await uow.flush_outbox()  # a reminder queued earlier in the same batch is one of them
    await request_alerts.owners_back_to_alerts(uow.conn, req.id)
    await retire_alerts(uow, ctx, req, note)


async def tell_worker_who_handles(uow: UnitOfWork, lang: str, req: Request, name: str) -> None:
    """The worker hears who has their request now (taken, or reassigned by the desk)."""
    await notify(
        uow,
        req,
        req.requester_chat_id,
        t(
            lang,
            "👤 {name} is handling your request #{number}. Reply to this message to talk to them.",
            name=name,
            number=req.id,
        ),
        purpose=Purpose.TAKEN,
    )


async def retire_at_close(uow: UnitOfWork, ctx: Ctx, req: Request) -> None:
    """A closed request's messages that still ask for something say it is closed and lose
    their buttons: the owner's (Resolved, Release) and the worker's questions (Confirm, Not
    resolved: the first one and any reminder). A question not yet sent never will be; an
    edit of one on its way waits for it."""
    note = t(ctx.lang, "🏁 Request #{number} is closed.", number=req.id)
    await retire_with_owner(uow, ctx, req, note)
    for row in await request_alerts.questions(uow.conn, req.id):
        if row.status == "pending":
            await request_alerts.cancel(uow.conn, row.id)
        else:
            await _note_below(uow, req, row, note)


async def wind_up_cancelled(
    uow: UnitOfWork,
    ctx: Ctx,
    req: Request,
    actor: Actor,
    alert_note: str,
    owner_text: str,
    **details: Any,
) -> None:
    """What every cancellation does once the state changed, whoever cancelled: the
    timeline, no more deadlines, every alert edited to say why, and whoever had taken the
    request told (unless they cancelled it themselves)."""
    await uow.event(
        req.id, "cancelled", actor_id=actor.person_id, actor_chat_id=actor.chat_id, **details
    )
    await uow.disarm(req.id)
    await retire_with_owner(uow, ctx, req, alert_note)
    if req.owner_id is None or req.owner_id == actor.person_id:
        return
    owner = await queries.person_by_id(uow.conn, req.owner_id)
    if owner is not None and owner.telegram_id is not None:
        await notify(uow, req, owner.telegram_id, owner_text)


async def tell_committee(uow: UnitOfWork, text: str, *, purpose: str, priority: int) -> int:
    """Queue ``text`` to each committee member with a Telegram account; return how many."""
    committee = await queries.people_by_ids(uow.conn, await queries.committee_ids(uow.conn))
    payload = render.text_message(text)
    told = 0
    for person in committee.values():
        if person.telegram_id is None:
            continue
        await uow.send(
            Send(
                person.telegram_id,
                "sendMessage",
                payload,
                priority,
                purpose,
                recipient_id=person.id,
            )
        )
        told += 1
    return told
