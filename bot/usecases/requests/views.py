"""Read-only answers: a request's whole timeline, and a person's list of requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.authz import Actor
from bot.domain.lifecycle import Action, State
from bot.domain.requests import Request
from bot.i18n import t
from bot.texts import render
from bot.usecases.common import Ctx, load_for
from storage import queries
from storage.uow import UnitOfWork


def _label(lang: str, type_: str) -> str:
    labels = {
        "raised": t(lang, "raised the request"),
        "alerted": t(lang, "alerts sent"),
        "taken": t(lang, "took it"),
        "released": t(lang, "released it"),
        "message": t(lang, "wrote"),
        "resolved": t(lang, "marked it resolved"),
        "closed": t(lang, "confirmed it is resolved"),
        "reopened": t(lang, "said it is not resolved"),
        "rated": t(lang, "rated the help"),
        "cancelled": t(lang, "withdrew it"),
        "escalated": t(lang, "escalated"),
        "undeliverable": t(lang, "an alert could not be delivered"),
    }
    return labels.get(type_, type_)


def _detail(lang: str, data: dict[str, Any]) -> str:
    bits = []
    for key in ("text", "summary", "reason"):
        if data.get(key):
            bits.append(str(data[key]))
    if data.get("stars"):
        bits.append("⭐" * int(data["stars"]))
    media = data.get("media")
    if media:
        bits.append(t(lang, "[{kind}]", kind=media.get("kind", "?")))
    if "level" in data:
        bits.append(t(lang, "level {level}", level=data["level"]))
    return " ".join(bits)


async def status(uow: UnitOfWork, ctx: Ctx, actor: Actor, number: int) -> str:
    """The whole timeline of a request, for those who may see it."""
    req = await load_for(uow, number, actor, Action.VIEW)
    lang = ctx.lang
    rows = await queries.timeline(uow.conn, req.id)
    names = await queries.people_by_ids(
        uow.conn, [r.actor_id for r in rows if r.actor_id is not None]
    )
    owner = await queries.person_by_id(uow.conn, req.owner_id) if req.owner_id else None
    head = [
        f"{render.kind_label(lang, req.kind, req.category)}  #{req.id}",
        t(lang, "From: {name}", name=req.requester_name),
        t(lang, "State: {state}", state=render.state_label(lang, req.state)),
    ]
    if owner:
        head.append(t(lang, "Handled by: {name}", name=owner.name))
    pending = await queries.count_pending_outbox(uow.conn, req.id)
    if pending:
        head.append(t(lang, "⏳ {n} message(s) waiting to be delivered", n=pending))
    lines = []
    for r in rows:
        who = (
            names[r.actor_id].name
            if r.actor_id in names
            else (
                req.requester_name
                if r.actor_chat_id == req.requester_chat_id
                else t(lang, "the bot")
            )
        )
        detail = _detail(lang, r.data or {})
        lines.append(
            f"{render.clock_text(r.at, ctx.tz)} {who}: {_label(lang, r.type)}"
            + (f" — {detail}" if detail else "")
        )
    return render.fit_body("\n".join(head), "\n".join(lines), "")


def _line(lang: str, req: Request, now: datetime) -> str:
    return (
        f"#{req.id} {render.kind_label(lang, req.kind, req.category)} — "
        f"{render.state_label(lang, req.state)} ({render.age_text(lang, now - req.created_at)})"
    )


async def mine(uow: UnitOfWork, ctx: Ctx, actor: Actor) -> str:
    """A worker's own requests; for members also what they own and what waits in their branch."""
    lang, now, conn = ctx.lang, uow.now, uow.conn
    sections: list[str] = []
    own = await queries.requests_where(conn, requester_chat_id=actor.chat_id)
    if own:
        sections.append(
            t(lang, "Your requests:") + "\n" + "\n".join(_line(lang, r, now) for r in own)
        )
    if actor.person_id is not None and actor.is_member:
        owned = await queries.requests_where(
            conn, owner_id=actor.person_id, states=[State.TAKEN, State.RESOLVED]
        )
        if owned:
            sections.append(
                t(lang, "You are handling:") + "\n" + "\n".join(_line(lang, r, now) for r in owned)
            )
        branches = list(actor.member_of | actor.secretary_of)
        waiting = await queries.requests_where(conn, states=[State.OPEN], branch_ids=branches)
        if waiting:
            sections.append(
                t(lang, "Waiting for a taker in your branch:")
                + "\n"
                + "\n".join(_line(lang, r, now) for r in waiting)
            )
    if not sections:
        return t(
            lang,
            "You have no requests. Send /120 or /110 in an emergency, /request for anything else.",
        )
    return render.fit_body("\n\n".join(sections), "", "")
