"""A secretary's care plans from the phone: create (the /newplan dialog's last step), pause,
resume, end; and the duty rota's weekly table. Every field is checked here again, whatever
the dialog already checked, so nothing half-valid is ever stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.domain.authz import Actor
from bot.domain.durations import parse_duration
from bot.domain.recurrence import RuleError, parse_rule
from bot.domain.rota import TABLE_START, format_hours, table_weekday, weekly_rule
from bot.domain.visits import (
    PlanAction,
    PlanFieldError,
    PlanKind,
    PlanState,
    check_grace,
    check_name,
    check_note,
    check_notice,
    check_remind_days,
    check_start,
    plan_move,
    steers_plan,
)
from bot.i18n import N_
from bot.usecases.care_plans.plan_schedule import (
    arm_visits,
    cancel_visits,
    plan_event,
    plan_next,
    today,
)
from bot.usecases.common import Ctx, Refused
from bot.usecases.roster import roster_log
from storage import plan_edits, queries
from storage import plan_queries as pq
from storage.plan_queries import Plan
from storage.uow import UnitOfWork

NO_PLAN = N_("There is no plan {key} that you can act on.")
REASON_LIMIT = 500
LONG_REASON = N_("A reason is at most {limit} characters.")


@dataclass(frozen=True)
class PlanDraft:
    """What the /newplan dialog collected."""

    branch_id: int
    cared_for: str
    note: str
    visitor_ids: tuple[int, ...]
    rule: str
    start: date
    remind_days_before: int = 1
    grace: str = "3d"


def home_branch(actor: Actor) -> int:
    """The branch a secretary's plans and rota edits belong to."""
    if not actor.secretary_of:
        raise Refused("Only a branch secretary can do this.")
    return min(actor.secretary_of)


async def _new_key(uow: UnitOfWork, branch_id: int) -> str:
    branch_key = await plan_edits.branch_key(uow.conn, branch_id)
    base = re.sub(r"[^a-z0-9-]+", "-", str(branch_key).lower()).strip("-") or "plan"
    count = await plan_edits.plan_count(uow.conn)
    for n in range(count + 1, count + 1000):
        key = f"{base}-{n}"
        if not await plan_edits.plan_key_taken(uow.conn, key):
            return key
    raise Refused("Could not name the plan; try again.")


async def create_plan(uow: UnitOfWork, ctx: Ctx, actor: Actor, draft: PlanDraft) -> Plan:
    """Store the plan, its visitors and its first visit with that visit's reminders."""
    if not steers_plan(actor, draft.branch_id):
        raise Refused("Only a branch secretary can do this.")
    day = today(uow)
    try:
        name = check_name(draft.cared_for)
        note = check_note(draft.note)
        check_start(draft.start, day)
        recurrence = parse_rule(draft.rule, draft.start, today=day)
        remind = check_remind_days(draft.remind_days_before)
        check_notice(remind, recurrence.upcoming(draft.start, 13))
        check_grace(parse_duration(draft.grace))
    except (PlanFieldError, RuleError) as error:
        raise Refused.of(error) from None
    except ValueError:
        raise Refused("A grace period is between 1h and 31d.") from None
    allowed = set(await pq.branch_people(uow.conn, draft.branch_id))
    if not draft.visitor_ids or not set(draft.visitor_ids) <= allowed:
        raise Refused("Pick at least one visitor from the branch.")
    key = await _new_key(uow, draft.branch_id)
    plan_id = await plan_edits.insert_plan(
        uow.conn,
        draft.visitor_ids,
        key=key,
        branch_id=draft.branch_id,
        kind=PlanKind.CARE.value,
        cared_for=name,
        note=note,
        rule=recurrence.rule,
        start=draft.start,
        remind_days_before=remind,
        grace=draft.grace,
        state=PlanState.ACTIVE.value,
        source="bot",
        remind_on_duty=False,
        created_by_id=actor.person_id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    await plan_event(uow, plan_id, "created", actor_id=actor.person_id, source="bot")
    plan = (await pq.plans_by_ids(uow.conn, [plan_id]))[plan_id]
    await arm_visits(uow, await plan_next(uow, [plan], {}))
    return plan


async def change_state(
    uow: UnitOfWork, ctx: Ctx, actor: Actor, key: str, action: PlanAction, reason: str = ""
) -> Plan:
    """Pause (reminders stop), resume (from the next occurrence) or end a plan."""
    plan = await pq.plan_by_key(uow.conn, key)
    if plan is None or not steers_plan(actor, plan.branch_id):
        raise Refused(NO_PLAN, key=key)
    why = " ".join(reason.split())
    if len(why) > REASON_LIMIT:
        raise Refused(LONG_REASON, limit=REASON_LIMIT)
    target = plan_move(plan.state, action)
    if target is None:
        raise Refused(
            "Plan {key} is {state}; that cannot be done now.", key=key, state=plan.state.value
        )
    if not await plan_edits.move_plan(uow.conn, plan.id, plan.state.value, target.value, uow.now):
        raise Refused("Plan {key} changed in the meantime; look again.", key=key)
    names = {PlanAction.PAUSE: "paused", PlanAction.RESUME: "resumed", PlanAction.END: "ended"}
    await plan_event(uow, plan.id, names[action], actor_id=actor.person_id, reason=why)
    if action is PlanAction.RESUME:
        fresh = (await pq.plans_by_ids(uow.conn, [plan.id]))[plan.id]
        await arm_visits(uow, await plan_next(uow, [fresh], {}))
    else:
        await cancel_visits(uow, plan.id)
    return plan


async def set_duty_day(
    uow: UnitOfWork, actor: Actor, weekday: int, keys: list[str], hours: str | None
) -> list[int]:
    """Replace the weekly table's column ``weekday`` of the secretary's branch with the
    people of roster ``keys``. Who may edit is checked first: a stranger learns nothing
    about the roster's keys."""
    branch_id = home_branch(actor)
    found = await queries.active_ids_by_key(uow.conn, keys)
    unknown = [k for k in keys if k not in found]
    if unknown:
        raise Refused("Nobody in the roster is called {key}.", key=unknown[0])
    person_ids = [found[k] for k in keys]
    allowed = set(await pq.branch_people(uow.conn, branch_id))
    if not set(person_ids) <= allowed:
        raise Refused("Only people of your branch can be on its duty rota.")
    shifts = await pq.branch_shifts(uow.conn, branch_id)
    begins, ends = "00:00", "24:00"
    column = [s for s in shifts if table_weekday(s.rule) == weekday]
    if hours is None and column:
        begins, ends = format_hours(column[0].begins, column[0].ends).split("-")
    elif hours is not None:
        begins, ends = hours.split("-")
    await plan_edits.set_duty(
        uow.conn,
        branch_id,
        weekly_rule(weekday),
        person_ids,
        start=TABLE_START,
        begins=begins,
        ends=ends,
        source="bot",
        created_at=uow.now,
    )
    for pid in {s.person_id for s in column} | set(person_ids):
        await roster_log.record(
            uow,
            "duty",
            actor,
            pid,
            branch_id=branch_id,
            weekday=weekday,
            on=pid in person_ids,
        )
    return list(dict.fromkeys(person_ids))
