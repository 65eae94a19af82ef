"""/board: a secretary's branch (or the committee's company) at a glance, and reassigning.

The board is read-only; its buttons lead to the use cases that change things, each of
which loads and re-authorises the request again, so a stale board can only be refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.callbacks import Button, Verb
from bot.domain.authz import Actor
from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.desk import BoardEntry, board_order, page_of
from bot.domain.lifecycle import Action, State
from bot.domain.people import Person
from bot.domain.purposes import Purpose
from bot.i18n import N_, t
from bot.texts import render
from bot.texts.bundle_render import BRIEF_LINE
from bot.texts.textfit import shorten
from bot.usecases.common import (
    Ctx,
    Refused,
    allowed,
    load_for,
    notify,
    retire_with_owner,
    tell_worker_who_handles,
)
from bot.usecases.escalation.timing import arm_after_take
from storage import board_queries as bq
from storage import queries
from storage.uow import UnitOfWork

Buttons = list[list[tuple[str, Button]]]

NEXT_STEP: dict[str, str] = {  # keyed by the deadline kind as stored
    DeadlineKind.ESCALATE: N_("next escalation"),
    DeadlineKind.OWNER_SILENT: N_("owner's first reply due"),
    DeadlineKind.RESOLVE_DUE: N_("resolution due"),
    DeadlineKind.CONFIRM_DUE: N_("confirmation due"),
}


@dataclass
class View:
    text: str
    buttons: Buttons = field(default_factory=list)


Work = Callable[[UnitOfWork, Ctx, Actor], Awaitable[View]]


def overseen(actor: Actor) -> frozenset[int] | None:
    """The branches whose board ``actor`` sees: None for all of them (the committee)."""
    if actor.committee:
        return None
    if actor.secretary_of:
        return actor.secretary_of
    raise Refused("The board is for branch secretaries and the committee.")


def _entry_text(ctx: Ctx, row: bq.BoardRow, now_age: str) -> str:
    lang, req = ctx.lang, row.request
    lines = [
        f"#{req.id} {render.kind_label(lang, req.kind, req.category)} · "
        + render.state_label(lang, req.state),
        f"{req.requester_name} · {now_age}",
    ]
    if req.family_of_name:
        lines[1] += " · " + t(lang, "👪 family of {worker}", worker=req.family_of_name)
    # What it is about, in the worker's first line: the board is the secretary's and the
    # committee's only (``overseen``), who see the whole request anyway.
    first = (req.text or "").strip().splitlines()[0:1]
    lines.append("💬 " + (shorten(first[0], BRIEF_LINE) if first else t(lang, "(no details yet)")))
    owner = row.owner or "—"
    if row.next_due is not None and row.next_kind is not None:
        step = t(lang, NEXT_STEP[row.next_kind]) if row.next_kind in NEXT_STEP else row.next_kind
        lines.append(
            t(
                lang,
                "Owner: {owner} · {step} {time}",
                owner=owner,
                step=step,
                time=render.clock_text(row.next_due, ctx.tz),
            )
        )
    else:
        lines.append(t(lang, "Owner: {owner}", owner=owner))
    if row.overdue:
        lines.append(t(lang, "⏰ overdue or escalated"))
    if row.undeliverable:
        lines.append(
            t(
                lang,
                "⚠ undeliverable to {names}",
                names=render.names_list(ctx.lang, row.undeliverable),
            )
        )
    return "\n".join(lines)


def _entry_buttons(lang: str, req_id: int, state: State) -> list[tuple[str, Button]]:
    if state is State.RESOLVED:
        return [
            (t(lang, "#{number} Confirm for", number=req_id), Button(Verb.CONFIRM_FOR, req_id)),
            (t(lang, "Reopen"), Button(Verb.REOPEN, req_id)),
        ]
    return [
        (t(lang, "#{number} Reassign", number=req_id), Button(Verb.REASSIGN, req_id)),
        (t(lang, "Escalate"), Button(Verb.ESCALATE, req_id)),
    ]


async def board(uow: UnitOfWork, ctx: Ctx, actor: Actor, page: int = 0) -> View:
    """One page of the board, most trouble first."""
    lang = ctx.lang
    branches = await bq.active_branches(uow.conn, overseen(actor))
    ids = [b.id for b in branches]
    rows = await bq.board_rows(uow.conn, ids, unbranched=actor.committee)
    by_number = {r.request.id: r for r in rows}
    ordered = board_order(
        [
            BoardEntry(
                r.request.id, r.request.urgency, r.request.state, r.request.created_at, r.overdue
            )
            for r in rows
        ]
    )
    shown = page_of(len(ordered), page)
    parts = [
        t(
            lang,
            "📋 Board: {branches} · page {page}/{pages}",
            branches=render.names_list(ctx.lang, (b.name for b in branches)) or "—",
            page=shown.index + 1,
            pages=shown.count,
        )
    ]
    if actor.committee:
        counts = bq.summarise(rows)
        parts.append(
            "\n".join(
                t(
                    lang,
                    "{branch}: {open} open · {taken} taken · {resolved} unconfirmed · "
                    "{overdue} overdue",
                    branch=b.name,
                    open=counts[b.id].open,
                    taken=counts[b.id].taken,
                    resolved=counts[b.id].resolved,
                    overdue=counts[b.id].overdue,
                )
                for b in branches
            )
        )
        if None in counts:
            parts[-1] += "\n" + t(
                lang,
                "Not in the roster: {open} open · {taken} taken · {resolved} unconfirmed",
                open=counts[None].open,
                taken=counts[None].taken,
                resolved=counts[None].resolved,
            )
    buttons: Buttons = []
    if not ordered:
        parts.append(t(lang, "Nothing is open: every request is closed."))
    for entry in ordered[shown.start : shown.stop]:
        row = by_number[entry.number]
        age = render.age_text(lang, uow.now - row.request.created_at)
        parts.append(_entry_text(ctx, row, age))
        buttons.append(_entry_buttons(lang, entry.number, entry.state))
    nav = []
    if shown.has_prev:
        nav.append((t(lang, "◀ Newer trouble"), Button(Verb.BOARD, shown.index - 1)))
    if shown.has_next:
        nav.append((t(lang, "More ▶"), Button(Verb.BOARD, shown.index + 1)))
    if nav:
        buttons.append(nav)
    unreachable = await bq.unreachable_members(uow.conn, ids)
    if unreachable:
        parts.append(
            t(lang, "📵 Alerts to these members fail:")
            + "\n"
            + "\n".join(
                t(
                    lang,
                    "{name}, since {time}",
                    name=u.name,
                    time=render.clock_text(u.since, ctx.tz),
                )
                for u in unreachable
            )
        )
        for u in unreachable:
            buttons.append(
                [(t(lang, "📣 Nudge {name}", name=u.name), Button(Verb.NUDGE, u.person_id))]
            )
    return View("\n\n".join(parts), buttons)


class Outcome(StrEnum):
    DONE = "done"
    ASK = "ask"  # the member is away or unreachable: asked to confirm first


async def _candidates(uow: UnitOfWork, branch_id: int) -> list[Person]:
    ids = await bq.active_members(uow.conn, branch_id)
    found = await queries.people_by_ids(uow.conn, ids)
    return [found[i] for i in ids if found[i].telegram_id is not None]


def _is_away(person: Person, uow: UnitOfWork) -> bool:
    return person.away_until is not None and person.away_until > uow.now


async def choices(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int) -> View:
    """The members a request may be reassigned to, as buttons."""
    req = await load_for(uow, number, actor, Action.REASSIGN)
    allowed(req, Action.REASSIGN)
    assert req.branch_id is not None  # oversees() needs a branch unless committee
    lang = ctx.lang
    buttons: Buttons = []
    for person in await _candidates(uow, req.branch_id):
        if person.id in (req.owner_id, req.requester_id):
            continue
        mark = " 💤" if _is_away(person, uow) else (" 📵" if person.unreachable else "")
        buttons.append([(person.name + mark, Button(Verb.ASSIGN, number, str(person.id)))])
    if not buttons:
        raise Refused("Nobody else in the branch can take request #{number}.", number=number)
    return View(t(lang, "Reassign request #{number} to:", number=number), buttons)


async def reassign(
    uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int, person_id: int, *, confirmed: bool
) -> tuple[Outcome, View]:
    """Hand a request to a member of its branch: it is theirs (taken) from now on."""
    req = await load_for(uow, number, actor, Action.REASSIGN)
    allowed(req, Action.REASSIGN)
    assert req.branch_id is not None
    lang = ctx.lang
    target = next((p for p in await _candidates(uow, req.branch_id) if p.id == person_id), None)
    if target is None or target.id in (req.owner_id, req.requester_id):
        raise Refused("That member cannot take request #{number}; look again.", number=number)
    if not confirmed and (_is_away(target, uow) or target.unreachable):
        why = (
            t(
                lang,
                "{name} is away until {time}.",
                name=target.name,
                time=render.clock_text(target.away_until, ctx.tz),
            )
            if target.away_until is not None and _is_away(target, uow)
            else t(lang, "Alerts to {name} fail at the moment.", name=target.name)
        )
        question = t(lang, "Reassign request #{number} to them anyway?", number=number)
        yes = Button(Verb.ASSIGN, number, f"{target.id}_y")
        return Outcome.ASK, View(why + "\n" + question, [[(t(lang, "Yes, reassign"), yes)]])
    old = await queries.person_by_id(uow.conn, req.owner_id) if req.owner_id else None
    if not await bq.reassign(uow.conn, req, target.id, uow.now):
        raise Refused("Request #{number} changed in the meantime; look again.", number=req.id)
    await uow.event(
        req.id,
        "reassigned",
        actor_id=actor.person_id,
        actor_chat_id=actor.chat_id,
        to=target.id,
        **({"from": old.id} if old else {}),
    )
    await uow.disarm(req.id)
    await arm_after_take(uow, req, target.id)
    await retire_with_owner(
        uow, ctx, req, t(lang, "↪ Reassigned to {name} by {by}", name=target.name, by=actor.name)
    )
    assert target.telegram_id is not None
    await notify(
        uow,
        req,
        target.telegram_id,
        render.fit_body(
            t(
                lang,
                "📌 {by} assigned request #{number} ({worker}) to you. Reply to this message "
                "to talk to them.",
                by=actor.name,
                number=req.id,
                worker=req.requester_name,
            ),
            req.text,
            "",
        ),
        buttons=render.owner_buttons(lang, req.id),
        purpose=Purpose.OWNER,
        recipient_id=target.id,
    )
    if old is not None and old.telegram_id is not None:
        await notify(
            uow,
            req,
            old.telegram_id,
            t(
                lang,
                "Request #{number} was reassigned to {name} by {by}; you no longer handle it.",
                number=req.id,
                name=target.name,
                by=actor.name,
            ),
            recipient_id=old.id,
        )
    await tell_worker_who_handles(uow, lang, req, target.name)
    return Outcome.DONE, View(
        t(lang, "Request #{number} is now {name}'s.", number=req.id, name=target.name)
    )
