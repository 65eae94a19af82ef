"""What a visit's deadline does when it falls due: remind, arm the next visit, escalate.

Each effect re-reads the visit, so a step armed before the visit was logged, postponed or
cancelled does nothing. Reminders and escalations go out in the lowest priority band:
an emergency's alerts always overtake them.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.people import Person
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.domain.rota import on_duty
from bot.domain.visits import VisitState, committee_after, visit_times
from bot.i18n import t
from bot.texts import plan_render, render
from bot.usecases.care_plans.plan_schedule import (
    arm_day,
    arm_visits,
    morning,
    not_before,
    plan_event,
    plan_next,
    today,
)
from bot.usecases.common import Ctx
from storage import plan_edits, queries
from storage import plan_queries as pq
from storage.deadline_queue import Deadline
from storage.plan_queries import Plan, Visit
from storage.uow import Send, UnitOfWork


async def _load(uow: UnitOfWork, due: list[Deadline]) -> list[tuple[Deadline, Visit, Plan]]:
    """The visits and plans of a run of deadlines, with two queries."""
    ids = [d.visit_id for d in due if d.visit_id is not None]
    found = await pq.visits_by_ids(uow.conn, ids)
    plans = await pq.plans_by_ids(uow.conn, list({v.plan_id for v in found.values()}))
    out = []
    for d in due:
        visit = found.get(d.visit_id) if d.visit_id is not None else None
        if visit is not None and visit.plan_id in plans:
            out.append((d, visit, plans[visit.plan_id]))
    return out


async def reminded(uow: UnitOfWork, plan: Plan, visit: Visit) -> list[Person]:
    """Who is reminded of a visit: whoever it was given to; else, for a duty kept by the
    rota, who is on duty that morning; else the plan's visitors - minus those who said
    they cannot go; else (nobody named at all) the branch secretary."""
    if visit.assignee_id is not None:
        ids = [visit.assignee_id]
    else:
        ids = list(plan.visitor_ids)
        if plan.remind_on_duty:
            shifts = await pq.branch_shifts(uow.conn, plan.branch_id)
            at = datetime.combine(visit.due_on, await morning(uow), uow.tz)
            duty = on_duty(shifts, at)
            ids = [p for p in await pq.branch_people(uow.conn, plan.branch_id) if p in duty] or ids
    if not ids:  # a duty with no visitors and nobody on duty: its secretary keeps it
        return await secretary_of(uow, plan)
    declined = await pq.declined_by(uow.conn, visit.id)
    found = await queries.people_by_ids(uow.conn, [i for i in ids if i not in declined])
    return [found[i] for i in ids if i in found and found[i].telegram_id is not None]


async def send_reminders(
    uow: UnitOfWork, ctx: Ctx, plan: Plan, visit: Visit, people: list[Person]
) -> list[int]:
    text = plan_render.reminder_text(
        ctx.lang,
        plan.kind,
        plan.cared_for,
        plan.note,
        visit.due_on,
        today(uow),
    )
    buttons = plan_render.visit_buttons(ctx.lang, visit.id)
    return await tell(uow, people, text, buttons=buttons, purpose=Purpose.VISIT_REMINDER)


async def tell(
    uow: UnitOfWork,
    people: list[Person],
    text: str,
    *,
    buttons: plan_render.Rows | None = None,
    purpose: str = Purpose.VISIT_NOTICE,
    working_days: bool = False,
) -> list[int]:
    """Queue a plan notice to each of ``people`` who has Telegram, never at night; with
    ``working_days`` (an escalation, not news of a visit under way) in working time only.
    Return who was told."""
    told = []
    later = await not_before(uow, working_days=working_days)
    for person in people:
        if person.telegram_id is None:
            continue
        await uow.send(
            Send(
                chat_id=person.telegram_id,
                method="sendMessage",
                payload=render.text_message(text, buttons),
                priority=Priority.LOW,
                purpose=purpose,
                recipient_id=person.id,
            ),
            not_before=later,
        )
        told.append(person.id)
    return told


async def secretary_of(uow: UnitOfWork, plan: Plan) -> list[Person]:
    """The plan's branch secretary; the committee when the secretary has no Telegram."""
    sec = await queries.secretary_of_branch(uow.conn, plan.branch_id)
    found = await queries.people_by_ids(uow.conn, [sec] if sec is not None else [])
    people = [p for p in found.values() if p.telegram_id is not None]
    return people or await committee(uow)


async def committee(uow: UnitOfWork) -> list[Person]:
    found = await queries.people_by_ids(uow.conn, await queries.committee_ids(uow.conn))
    return [p for p in found.values() if p.telegram_id is not None]


async def assignable(uow: UnitOfWork, plan: Plan, without: set[int]) -> list[tuple[int, str]]:
    """The branch's people (members, then the secretary) a visit can be given to."""
    ids = [p for p in await pq.branch_people(uow.conn, plan.branch_id) if p not in without]
    found = await queries.people_by_ids(uow.conn, ids)
    return [(i, found[i].name) for i in ids if i in found and found[i].telegram_id is not None]


async def remind(ctx: Ctx, uow: UnitOfWork, plan: Plan, visit: Visit) -> None:
    told = await send_reminders(uow, ctx, plan, visit, await reminded(uow, plan, visit))
    await plan_event(uow, plan.id, "reminded", visit_id=visit.id, to=told)


async def on_remind(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    for _, visit, plan in await _load(uow, due):
        if visit.state is VisitState.DUE:
            await remind(ctx, uow, plan, visit)


async def on_ahead(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    """N days before: remind, then the visit's morning is the next step."""
    at = await morning(uow)
    for _, visit, plan in await _load(uow, due):
        times = visit_times(
            visit.occurrence, plan.remind_days_before, plan.grace_period, uow.tz, at
        )
        # After downtime past the visit's morning, the day's reminder says it all.
        if visit.state is VisitState.DUE and uow.now < times.remind_day:
            await remind(ctx, uow, plan, visit)
        await arm_day(uow, visit.id, times.remind_day)


async def on_day(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    """The visit's morning: remind (unless it was moved to another day, which has its
    own reminder), start counting its grace, and plan the following visit."""
    loaded = await _load(uow, due)
    for deadline, visit, plan in loaded:
        if visit.state is not VisitState.DUE:
            continue
        if visit.due_on == visit.occurrence and not deadline.data.get("quiet"):
            await remind(ctx, uow, plan, visit)
        await uow.arm(DeadlineKind.VISIT_GRACE, visit.grace_until, visit_id=visit.id)
    active = [(v, p) for _, v, p in loaded if p.state.value == "active"]
    planned = await plan_next(uow, [p for _, p in active], {p.id: v.occurrence for v, p in active})
    await arm_visits(uow, planned)


async def on_grace(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    for _, visit, plan in await _load(uow, due):
        if not await plan_edits.update_visit(
            uow.conn,
            visit.id,
            expected=VisitState.DUE.value,
            state=VisitState.MISSED.value,
            escalation_level=1,
            updated_at=uow.now,
        ):
            continue
        names = {p.id: p for p in await reminded(uow, plan, visit)}
        text = t(
            ctx.lang,
            "⚠ The visit to {name} due {day} was not logged in time (visitors: {visitors}). "
            "Give it to someone else below, or ask them to press Done.",
            name=plan.cared_for,
            day=plan_render.day_text(ctx.lang, visit.due_on),
            visitors=render.names_list(ctx.lang, (p.name for p in names.values())) or "—",
        )
        buttons = plan_render.assign_buttons(visit.id, await assignable(uow, plan, set()))
        told = await tell(
            uow, await secretary_of(uow, plan), text, buttons=buttons or None, working_days=True
        )
        await plan_event(uow, plan.id, "escalated", visit_id=visit.id, level=1, to=told)
        await uow.arm(
            DeadlineKind.VISIT_ESCALATE,
            uow.now + committee_after(plan.grace_period),
            visit_id=visit.id,
        )


async def on_escalate(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    for _, visit, plan in await _load(uow, due):
        if not await plan_edits.update_visit(
            uow.conn,
            visit.id,
            expected=VisitState.MISSED.value,
            escalation_level=2,
            updated_at=uow.now,
        ):
            continue
        branch = await plan_edits.branch_name(uow.conn, plan.branch_id)
        text = t(
            ctx.lang,
            "⚠ {branch}: the visit to {name} due {day} is still not logged, although the "
            "secretary was told. /plan {key} shows its history.",
            branch=branch or "",
            name=plan.cared_for,
            day=plan_render.day_text(ctx.lang, visit.due_on),
            key=plan.key,
        )
        told = await tell(uow, await committee(uow), text, working_days=True)
        await plan_event(uow, plan.id, "escalated", visit_id=visit.id, level=2, to=told)
