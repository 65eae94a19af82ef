"""Who is alerted at a level of a request's chain, and the alerts themselves.

Level 0 is routed (the members handling the topic, all or one in turn); the levels above
are the branch secretary and the committee, resolved for many requests at once so the
deadline engine can escalate a thousand requests with a handful of queries. A level with
nobody reachable passes to the next one at once.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.escalation import Audience, Staffed, audience_of, first_staffed
from bot.domain.kinds import Urgency, topic_of
from bot.domain.people import Person
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.requests import Request
from bot.domain.rota import on_duty
from bot.domain.routing import level_zero
from bot.i18n import t
from bot.texts import render
from bot.texts.bundle_render import BRIEF_LINE
from bot.texts.textfit import shorten
from bot.usecases.common import Alerted, Ctx
from bot.usecases.escalation.timing import deliver_from
from storage import plan_queries, queries, routing_queries
from storage.uow import Send, UnitOfWork


def _reachable(found: dict[int, Person], ids: list[int]) -> list[Person]:
    return [
        found[i]
        for i in ids
        if i in found and found[i].telegram_id is not None and not found[i].unreachable
    ]


async def level_zero_people(uow: UnitOfWork, req: Request) -> list[Person]:
    """The members who handle the request's topic, reachable and not away."""
    if req.branch_id is None:
        return []
    conn = uow.conn
    members = [  # a member asking for help is not alerted about their own trouble
        m
        for m in await queries.branch_members_as_candidates(conn, req.branch_id, uow.now)
        if m.person_id != req.requester_id
    ]
    topic = topic_of(req.kind, req.category)
    last = await routing_queries.last_turn(conn, req.branch_id, topic)
    shifts = await plan_queries.branch_shifts(conn, req.branch_id)
    duty = on_duty(shifts, uow.now.astimezone(uow.tz)) if shifts else None
    ids = level_zero(req.urgency, topic, members, last, duty)
    if len(ids) == 1 and req.urgency is Urgency.NORMAL:
        await routing_queries.remember_turn(
            conn, req.branch_id, topic, ids[0], known=last is not None
        )
    return _reachable(await queries.people_by_ids(conn, ids), ids)


async def staffing(uow: UnitOfWork, reqs: list[Request]) -> list[dict[Audience, list[Person]]]:
    """For each request, its reachable secretary and committee: one query for the
    secretaries, one for the committee, one for the people, however many requests."""
    conn = uow.conn
    branch_ids = {req.branch_id for req in reqs if req.branch_id is not None}
    secretaries = await routing_queries.secretaries_of(conn, branch_ids)
    committee = await queries.committee_ids(conn)
    found = await queries.people_by_ids(conn, [*secretaries.values(), *committee])
    reachable_committee = _reachable(found, committee)
    out = []
    for req in reqs:
        sec = secretaries.get(req.branch_id) if req.branch_id is not None else None
        out.append(
            {
                Audience.SECRETARY: _reachable(found, [sec] if sec is not None else []),
                Audience.COMMITTEE: reachable_committee,
            }
        )
    return out


def staffed_by(staff: dict[Audience, list[Person]]) -> Staffed:
    return lambda audience: bool(staff.get(audience))


async def upper_levels(uow: UnitOfWork, wanted: list[tuple[Request, int]]) -> list[Alerted]:
    """For each (request, level >= 1): the first level from there with someone reachable."""
    staffs = await staffing(uow, [req for req, _ in wanted])
    out = []
    for (req, start), staff in zip(wanted, staffs, strict=True):
        level = first_staffed(req.chain, max(start, Audience.SECRETARY), staffed_by(staff))
        out.append(Alerted(level, staff.get(audience_of(level), [])))
    return out


async def recipients(uow: UnitOfWork, req: Request, level: int) -> list[Person]:
    """Who exactly ``level`` of this request's chain alerts (reachable people only)."""
    if audience_of(level) is Audience.MEMBERS:
        return await level_zero_people(uow, req)
    (found,) = await upper_levels(uow, [(req, level)])
    return found.people if found.level == level else []


def alert_text(ctx: Ctx, req: Request, now: datetime, *, escalated_from: int | None) -> str:
    lang = ctx.lang
    header = f"{render.kind_label(lang, req.kind, req.category)}  #{req.id}"
    who = req.requester_name
    if req.requester_department:
        who += f" · {req.requester_department}"
    if req.family_of_name:
        who += "\n" + t(lang, "👪 family of {worker}", worker=req.family_of_name)
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
                age=render.waited_text(lang, now - req.created_at),
            ),
        )
    # A clock time, not an age: an alert held back by Telegram (429) or an outage must
    # not arrive saying "(just now)" half a minute later.
    footer = t(lang, "Raised {time}", time=render.clock_text(req.created_at, ctx.tz))
    body = req.text or t(lang, "(no details yet; they will follow)")
    return render.fit_body("\n".join(lines), body, footer)


def alert_brief(ctx: Ctx, req: Request, *, escalated: bool) -> str:
    """The alert in two lines, for a bundle (``bot.texts.bundle_render``): what the alert says
    of the request, shortened - nothing it does not say."""
    head = f"#{req.id} {render.kind_label(ctx.lang, req.kind, req.category)} · "
    head += req.requester_name
    if req.requester_department:
        head += f" · {req.requester_department}"
    head += f" · {render.clock_text(req.created_at, ctx.tz)}"
    if req.family_of_name:
        head += " 👪"
    if req.unregistered:
        head += " ⚠"
    first = (req.text or "").strip().splitlines()[0:1]
    said = shorten(first[0], BRIEF_LINE) if first else t(ctx.lang, "(no details yet)")
    return ("⬆ " if escalated else "") + head + "\n   " + said


async def send_alerts(
    uow: UnitOfWork, ctx: Ctx, req: Request, alerted: Alerted, *, escalated_from: int | None
) -> None:
    text = alert_text(ctx, req, uow.now, escalated_from=escalated_from)
    brief = alert_brief(ctx, req, escalated=escalated_from is not None)
    not_before = await deliver_from(uow, req)
    for index, person in enumerate(alerted.people):
        assert person.telegram_id is not None
        payload = render.text_message(text, render.take_button(ctx.lang, req.id))
        payload["brief"] = brief  # kept in the row, never sent: see bot.texts.bundle_render
        await uow.send(
            Send(
                chat_id=person.telegram_id,
                method="sendMessage",
                payload=payload,
                priority=Priority.alert(req.urgency, index),
                purpose=Purpose.ALERT,
                request_id=req.id,
                recipient_id=person.id,
                level=alerted.level,
            ),
            not_before=not_before,
        )


async def alert_from(
    uow: UnitOfWork, ctx: Ctx, req: Request, level: int, *, escalated_from: int | None = None
) -> Alerted:
    """Alert ``level``; a level with nobody reachable passes to the next one at once."""
    alerted = Alerted(level, [])
    if audience_of(level) is Audience.MEMBERS:
        alerted = Alerted(level, await level_zero_people(uow, req))
    if not alerted.people and (level > 0 or level < req.chain.last_level):
        (alerted,) = await upper_levels(uow, [(req, max(level, Audience.SECRETARY))])
    await send_alerts(uow, ctx, req, alerted, escalated_from=escalated_from)
    return alerted
