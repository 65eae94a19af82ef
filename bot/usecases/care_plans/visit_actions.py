"""What visitors and secretaries do with a visit: Done (and a note, a photo), Postpone,
Can't go, and giving it to another visitor. Each is one transaction; each re-checks who
presses and what state the visit is in, so a stale or forged button changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.authz import Actor
from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.visits import (
    VISIT_NOTE_LIMIT,
    PlanFieldError,
    VisitState,
    check_note,
    check_photo,
    loggable,
    may_log,
    postpone_dates,
    steers_plan,
)
from bot.i18n import N_, t
from bot.texts import plan_render
from bot.usecases.care_plans.plan_admin import LONG_REASON, REASON_LIMIT
from bot.usecases.care_plans.plan_schedule import morning, plan_event, today
from bot.usecases.care_plans.visit_steps import (
    assignable,
    reminded,
    secretary_of,
    send_reminders,
    tell,
)
from bot.usecases.common import Ctx, Lazy, Refused
from storage import plan_edits, queries
from storage import plan_queries as pq
from storage.plan_queries import Plan, Visit
from storage.uow import UnitOfWork

NOT_YOURS = N_("There is no visit that you can act on here.")
NO_REASON = N_("Say why it is postponed, in one line.")
# Refusals of a follow-up message the visitor can fix by sending another one.
RETRYABLE = frozenset(
    {
        NO_REASON,
        LONG_REASON,
        "The note is {length} characters; at most {limit} fit.",
        "The photo is {size} MB; at most {limit} MB is kept.",
    }
)


@dataclass(frozen=True)
class VisitCase:
    visit: Visit
    plan: Plan


def _logs(actor: Actor, case: VisitCase) -> bool:
    plan = case.plan
    return may_log(
        actor, plan.branch_id, plan.visitor_ids, case.visit.assignee_id, plan.remind_on_duty
    )


def _steers(actor: Actor, case: VisitCase) -> bool:
    return steers_plan(actor, case.plan.branch_id)


async def _load(
    uow: UnitOfWork,
    actor: Actor,
    visit_id: int,
    allowed: Callable[[Actor, VisitCase], bool] = _logs,
) -> VisitCase:
    """The visit and its plan, if ``actor`` may act on it; the same refusal otherwise as
    for a visit that does not exist."""
    visit = await pq.visit_by_id(uow.conn, visit_id)
    plan = (await pq.plans_by_ids(uow.conn, [visit.plan_id])).get(visit.plan_id) if visit else None
    if visit is None or plan is None or not allowed(actor, VisitCase(visit, plan)):
        raise Refused(NOT_YOURS)
    return VisitCase(visit, plan)


def _still_open(case: VisitCase) -> None:
    if not loggable(case.visit.state):
        raise Refused(
            "This visit is {state} already; nothing was changed.",
            state=Lazy(plan_render.VISIT_STATE_LABELS[case.visit.state]),
        )


async def done(uow: UnitOfWork, ctx: Ctx, actor: Actor, visit_id: int) -> VisitCase:
    """The visit took place: its reminders and escalation stop; the next one is unaffected."""
    case = await _load(uow, actor, visit_id)
    _still_open(case)
    if not await plan_edits.update_visit(
        uow.conn,
        visit_id,
        expected=case.visit.state.value,
        state=VisitState.DONE.value,
        visitor_id=actor.person_id,
        done_at=uow.now,
        updated_at=uow.now,
    ):
        raise Refused("This visit changed in the meantime; look again with /visits.")
    # Its visit-day step stays: it still plans the following visit.
    await uow.disarm_visit(
        visit_id, DeadlineKind.VISIT_REMIND, DeadlineKind.VISIT_GRACE, DeadlineKind.VISIT_ESCALATE
    )
    await plan_event(uow, case.plan.id, "done", visit_id=visit_id, actor_id=actor.person_id)
    if case.visit.state is VisitState.MISSED:  # the secretary was told it was missed
        await tell(
            uow,
            await secretary_of(uow, case.plan),
            t(
                ctx.lang,
                "✅ The visit to {name} due {day} was logged by {who}.",
                name=case.plan.cared_for,
                day=plan_render.day_text(ctx.lang, case.visit.due_on),
                who=actor.name,
            ),
        )
    return case


async def add_note(
    uow: UnitOfWork,
    ctx: Ctx,
    actor: Actor,
    visit_id: int,
    *,
    note: str,
    photo_file_id: str | None = None,
    photo_size: int | None = None,
) -> None:
    """Keep what the visitor wrote (and their photo) with the visit they logged."""
    visit = await pq.visit_by_id(uow.conn, visit_id)
    if visit is None or visit.state is not VisitState.DONE or visit.visitor_id != actor.person_id:
        raise Refused(NOT_YOURS)
    try:
        cleaned = check_note(note, limit=VISIT_NOTE_LIMIT)
        check_photo(photo_size)
    except PlanFieldError as error:
        raise Refused.of(error) from None
    values: dict[str, Any] = {"updated_at": uow.now}
    if cleaned:
        values["note"] = cleaned if not visit.note else f"{visit.note}\n{cleaned}"
    if photo_file_id:
        values["photo_file_id"] = photo_file_id
    await plan_edits.update_visit(uow.conn, visit_id, **values)
    await plan_event(
        uow,
        visit.plan_id,
        "noted",
        visit_id=visit_id,
        actor_id=actor.person_id,
        note=cleaned,
        photo=bool(photo_file_id),
    )


async def postpone_choices(uow: UnitOfWork, actor: Actor, visit_id: int) -> list[date]:
    case = await _load(uow, actor, visit_id)
    if case.visit.state is not VisitState.DUE:
        raise Refused("Only a visit that is still due can be postponed.")
    days = postpone_dates(
        case.visit.due_on, case.visit.grace_until, today(uow), uow.tz, await morning(uow)
    )
    if not days:
        raise Refused("Its grace period leaves no later date; press Done or Can't go.")
    return days


async def postpone(
    uow: UnitOfWork, ctx: Ctx, actor: Actor, visit_id: int, day: date, reason: str
) -> VisitCase:
    """Move a due visit to ``day`` within its grace period; the day's reminder moves too."""
    if day not in await postpone_choices(uow, actor, visit_id):
        raise Refused("{day} is not within the visit's grace period.", day=day.isoformat())
    why = " ".join(reason.split())
    if not why:
        raise Refused(NO_REASON)
    if len(why) > REASON_LIMIT:
        raise Refused(LONG_REASON, limit=REASON_LIMIT)
    case = await _load(uow, actor, visit_id)
    await plan_edits.update_visit(uow.conn, visit_id, due_on=day, updated_at=uow.now)
    await uow.disarm_visit(visit_id, DeadlineKind.VISIT_REMIND)
    await uow.arm(
        DeadlineKind.VISIT_REMIND,
        datetime.combine(day, await morning(uow), uow.tz),
        visit_id=visit_id,
    )
    await plan_event(
        uow,
        case.plan.id,
        "postponed",
        visit_id=visit_id,
        actor_id=actor.person_id,
        to=day.isoformat(),
        reason=why,
    )
    others = [p for p in await reminded(uow, case.plan, case.visit) if p.id != actor.person_id]
    await tell(
        uow,
        others + await secretary_of(uow, case.plan),
        t(
            ctx.lang,
            "🗓 {who} postponed the visit to {name} to {day}: {reason}",
            who=actor.name,
            name=case.plan.cared_for,
            day=plan_render.day_text(ctx.lang, day),
            reason=why,
        ),
    )
    return case


async def decline(uow: UnitOfWork, ctx: Ctx, actor: Actor, visit_id: int) -> VisitCase:
    """The visitor cannot go: the secretary is told at once and offered the others."""
    case = await _load(uow, actor, visit_id)
    _still_open(case)
    if actor.person_id is not None and actor.person_id in await pq.declined_by(uow.conn, visit_id):
        raise Refused("You said so already; the secretary has been told.")
    if case.visit.assignee_id == actor.person_id:
        await plan_edits.update_visit(uow.conn, visit_id, assignee_id=None)
    await plan_event(uow, case.plan.id, "declined", visit_id=visit_id, actor_id=actor.person_id)
    declined = await pq.declined_by(uow.conn, visit_id)
    choices = await assignable(uow, case.plan, declined | {actor.person_id or 0})
    await tell(
        uow,
        await secretary_of(uow, case.plan),
        t(
            ctx.lang,
            "🙅 {who} cannot go to {name} on {day}. Pick another visitor:",
            who=actor.name,
            name=case.plan.cared_for,
            day=plan_render.day_text(ctx.lang, case.visit.due_on),
        ),
        buttons=plan_render.assign_buttons(visit_id, choices) or None,
    )
    return case


async def assign(uow: UnitOfWork, ctx: Ctx, actor: Actor, visit_id: int, person_id: int) -> str:
    """The secretary gives the visit to ``person_id``, who is reminded at once."""
    case = await _load(uow, actor, visit_id, _steers)
    plan = case.plan
    _still_open(case)
    if person_id not in {pid for pid, _ in await assignable(uow, plan, set())}:
        raise Refused("That person is not in this branch, or cannot be reached.")
    await plan_edits.update_visit(uow.conn, visit_id, assignee_id=person_id, updated_at=uow.now)
    await plan_event(
        uow, plan.id, "assigned", visit_id=visit_id, actor_id=actor.person_id, to=person_id
    )
    given = (await queries.people_by_ids(uow.conn, [person_id]))[person_id]
    fresh = await pq.visit_by_id(uow.conn, visit_id)
    assert fresh is not None
    await send_reminders(uow, ctx, plan, fresh, [given])
    return given.name
