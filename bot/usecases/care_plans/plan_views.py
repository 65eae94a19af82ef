"""Read-only views: /visits, /plan KEY and /duty, in the reader's language.

Each checks who asks: a member sees the plans they visit, a secretary all of their
branch's, the committee every branch's; a member of another branch sees none of them
(and cannot tell a plan exists from the answer).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.authz import Actor
from bot.domain.people import Person
from bot.domain.recurrence import Recurrence, RuleError
from bot.domain.rota import format_hours, on_duty, table_weekday
from bot.domain.visits import PlanState, VisitState, sees_plan, steers_plan
from bot.i18n import N_, t
from bot.texts import plan_render, render
from bot.texts.render import clock_text
from bot.usecases.care_plans.plan_admin import NO_PLAN
from bot.usecases.care_plans.plan_schedule import today
from bot.usecases.common import Ctx, Refused
from storage import board_queries as bq
from storage import plan_queries as pq
from storage import queries
from storage.db import reading
from storage.plan_queries import Plan, Visit
from storage.uow import UnitOfWork

RECENT = timedelta(days=62)  # done visits shown: about the last two months
EVENT_LABELS = {
    "created": N_("created"),
    "changed": N_("changed by the roster file"),
    "paused": N_("paused"),
    "resumed": N_("resumed"),
    "ended": N_("ended"),
    "finished": N_("no more visits in its rule: ended"),
    "reminded": N_("reminded"),
    "done": N_("visit done"),
    "noted": N_("note added"),
    "postponed": N_("postponed"),
    "declined": N_("cannot go"),
    "assigned": N_("given to"),
    "escalated": N_("not logged: escalated"),
}


async def _branch_ids(uow: UnitOfWork, actor: Actor) -> frozenset[int]:
    if actor.committee:
        return await bq.branch_ids(uow.conn)
    return actor.secretary_of


async def _people(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    return {i: p.name for i, p in (await queries.people_by_ids(uow.conn, list(ids))).items()}


def _visit_line(ctx: Ctx, visit: Visit, names: dict[int, str], *, show_who: bool) -> str:
    lang = ctx.lang
    day = plan_render.day_text(lang, visit.due_on)
    state = t(lang, plan_render.VISIT_STATE_LABELS[visit.state])
    icon = {VisitState.DUE: "🗓", VisitState.DONE: "✅", VisitState.MISSED: "⚠"}.get(
        visit.state, "·"
    )
    line = f"  {icon} {day} — {state}"
    if visit.state is VisitState.DONE and show_who and visit.done_at is not None:
        who = names.get(visit.visitor_id or 0, "?")
        line += " " + t(lang, "by {who} on {at}", who=who, at=clock_text(visit.done_at, ctx.tz))
    if visit.assignee_id is not None and visit.state is not VisitState.DONE:
        line += " → " + names.get(visit.assignee_id, "?")
    return line


async def visits_text(uow: UnitOfWork, ctx: Ctx, actor: Actor) -> str:
    """The visits of the plans ``actor`` is in (a secretary: all of the branch's)."""
    steered = await _branch_ids(uow, actor)
    plans = {p.id: p for p in await pq.plans_of_branches(uow.conn, steered)} if steered else {}
    if actor.person_id is not None:
        theirs = await pq.plans_of_reader(uow.conn, actor.person_id, actor.member_of)
        plans.update({p.id: p for p in theirs})
    if not plans:
        return t(ctx.lang, "You are not in any care plan or duty.")
    since = today(uow) - RECENT
    found = await pq.visits_of_plans(uow.conn, list(plans), since=since, limit=500)
    ids = {v.visitor_id for v in found if v.visitor_id} | {
        v.assignee_id for v in found if v.assignee_id
    }
    names = await _people(uow, {i for i in ids if i is not None})
    lines = [t(ctx.lang, "🗓 Visits")]
    for plan in sorted(plans.values(), key=lambda p: p.key):
        mine = [v for v in found if v.plan_id == plan.id]
        head = plan_render.plan_title(plan.kind, plan.cared_for, plan.key)
        if plan.state is not PlanState.ACTIVE:
            head += f" ({t(ctx.lang, plan_render.PLAN_STATE_LABELS[plan.state])})"
        lines.append(head)
        shown = [v for v in mine if v.state is not VisitState.DONE] + [
            v for v in mine if v.state is VisitState.DONE
        ][-3:]
        for visit in sorted(shown, key=lambda v: v.due_on):
            show_who = steers_plan(actor, plan.branch_id) or actor.person_id in plan.visitor_ids
            lines.append(_visit_line(ctx, visit, names, show_who=show_who))
        if not shown:
            lines.append("  " + t(ctx.lang, "no visit due"))
    lines.append(t(ctx.lang, "/plan KEY shows a plan's history."))
    return "\n".join(lines)


def _rule_text(ctx: Ctx, plan: Plan, from_day: Any) -> str:
    try:
        upcoming = Recurrence(plan.rule, plan.start).upcoming(from_day, 3)
    except (RuleError, ValueError):
        upcoming = []
    dates = ", ".join(plan_render.day_text(ctx.lang, d) for d in upcoming) or "—"
    return t(ctx.lang, "Rule: {rule}\nNext: {dates}", rule=plan.rule, dates=dates)


def _event_line(ctx: Ctx, row: Any, names: dict[int, str]) -> str:
    label = t(ctx.lang, EVENT_LABELS.get(row.type, row.type))
    at = clock_text(row.at, ctx.tz) if isinstance(row.at, datetime) else ""
    parts = [f"{at} {label}"]
    if row.actor_id is not None:
        parts.append(names.get(row.actor_id, "?"))
    data = dict(row.data or {})
    if row.type == "assigned" and data.get("to") is not None:
        parts.append("→ " + names.get(int(data["to"]), "?"))
    if row.type == "postponed":
        parts.append(f"→ {data.get('to', '')}")
    if row.type == "escalated":
        parts.append(t(ctx.lang, "level {level}", level=data.get("level", "?")))
    for key in ("reason", "note"):
        if data.get(key):
            parts.append(f"«{data[key]}»")
    if data.get("photo"):
        parts.append("📷")
    return " · ".join(parts)


async def plan_text(uow: UnitOfWork, ctx: Ctx, actor: Actor, key: str) -> str:
    plan = await pq.plan_by_key(uow.conn, key)
    if plan is None or not (
        sees_plan(actor, plan.branch_id, plan.visitor_ids, plan.remind_on_duty)
        or (actor.person_id is not None and await pq.given_to(uow.conn, plan.id, actor.person_id))
    ):
        raise Refused(NO_PLAN, key=key)
    history = await pq.plan_history(uow.conn, plan.id)
    ids = set(plan.visitor_ids) | {r.actor_id for r in history if r.actor_id is not None}
    ids |= {int(r.data["to"]) for r in history if r.type == "assigned" and r.data.get("to")}
    names = await _people(uow, ids)
    lines = [
        plan_render.plan_title(plan.kind, plan.cared_for, plan.key)
        + f" ({t(ctx.lang, plan_render.PLAN_STATE_LABELS[plan.state])})"
    ]
    if plan.note:
        lines.append(plan.note)
    visitors = render.names_list(ctx.lang, (names.get(i, "?") for i in plan.visitor_ids)) or "—"
    if plan.remind_on_duty:
        visitors = t(ctx.lang, "whoever is on duty") + (
            f" ({visitors})" if plan.visitor_ids else ""
        )
    lines.append(t(ctx.lang, "Visitors: {names}", names=visitors))
    lines.append(_rule_text(ctx, plan, today(uow)))
    lines.append(
        t(
            ctx.lang,
            "Reminded {days} day(s) ahead; grace {grace}.",
            days=plan.remind_days_before,
            grace=plan.grace,
        )
    )
    visits = await pq.visits_of_plans(uow.conn, [plan.id], since=today(uow) - RECENT)
    if visits:
        lines.append(t(ctx.lang, "Visits:"))
        for visit in visits[-8:]:
            lines.append(_visit_line(ctx, visit, names, show_who=True))
    lines.append(t(ctx.lang, "History:"))
    lines.extend("  " + _event_line(ctx, row, names) for row in history)
    return "\n".join(lines)


async def duty_text(uow: UnitOfWork, ctx: Ctx, actor: Actor) -> str:
    """Who of the reader's branch is on duty now, and the rota it keeps."""
    ids = set(actor.member_of | actor.secretary_of)
    if actor.committee and not ids:
        ids = set(await _branch_ids(uow, actor))
    if not ids:
        raise Refused("Only members of a branch have a duty rota.")
    rows = await bq.active_branches(uow.conn, frozenset(ids))
    now_local = uow.now.astimezone(ctx.tz)
    lines: list[str] = []
    for branch in sorted(rows, key=lambda r: r.id):
        shifts = await pq.branch_shifts(uow.conn, branch.id)
        names = await _people(uow, {s.person_id for s in shifts})
        lines.append(f"👥 {branch.name}")
        if not shifts:
            lines.append("  " + t(ctx.lang, "No duty rota: alerts go to every member."))
            continue
        now = sorted(names.get(p, "?") for p in on_duty(shifts, now_local))
        lines.append(
            "  "
            + t(
                ctx.lang,
                "On duty now: {names}",
                names=render.names_list(ctx.lang, now) or t(ctx.lang, "nobody"),
            )
        )
        for weekday in range(7):
            column = [s for s in shifts if table_weekday(s.rule) == weekday]
            if column:
                who = render.names_list(ctx.lang, (names.get(s.person_id, "?") for s in column))
                hours = format_hours(column[0].begins, column[0].ends)
                label = t(ctx.lang, plan_render.WEEKDAY_LABELS[weekday])
                lines.append(f"  {label}: {who} ({hours})")
        for shift in shifts:
            if table_weekday(shift.rule) is None:
                hours = format_hours(shift.begins, shift.ends)
                lines.append(f"  {names.get(shift.person_id, '?')}: {shift.rule} ({hours})")
    if actor.secretary_of:
        lines.append(
            t(ctx.lang, "Change a day: /duty mon li zhao [08:00-20:00]; clear it: /duty mon -")
        )
    return "\n".join(lines)


async def branch_visitors(engine: AsyncEngine, branch_id: int) -> list[Person]:
    """Who may visit for a plan of the branch (its people, in the roster's order): the
    choices of the /newplan dialog, read fresh at each step."""
    async with reading(engine) as conn:
        ids = await pq.branch_people(conn, branch_id)
        found = await queries.people_by_ids(conn, ids)
    return [found[i] for i in ids if i in found]


async def people_named(engine: AsyncEngine, ids: list[int]) -> dict[int, Person]:
    """The people behind ``ids`` (a draft plan's visitors, to name them)."""
    async with reading(engine) as conn:
        return await queries.people_by_ids(conn, ids)
