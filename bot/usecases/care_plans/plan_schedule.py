"""Care plans in time: each active plan keeps its next visit and that visit's steps armed.

A visit's steps are durable deadlines pointing at it, armed one after another so a plan
costs one row until its day: ``visit-ahead`` (N days before: remind, then arm the day),
``visit-day`` (its morning: remind, arm ``visit-grace``, and make the plan's following
occurrence a visit), ``visit-remind`` (the day a visit was postponed to), ``visit-grace``
(unlogged at the end of grace: the secretary is told, and ``visit-escalate`` is armed) and
``visit-escalate`` (still unlogged: the committee is told). ``ensure_armed`` gives every
active plan with neither ``visit-ahead`` nor ``visit-day`` pending its next visit: new
plans, resumed ones, ones an import changed, and - at start - all of them after a
restore; it works in bounded batches so escalations never wait behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.recurrence import Recurrence, RuleError
from bot.domain.visits import PlanState, VisitState, during_day, visit_times
from bot.domain.worktime import WorkCalendar
from storage import plan_edits
from storage import plan_queries as pq
from storage.plan_queries import Plan, Visit
from storage.uow import UnitOfWork

ARM_BATCH = 500  # plans per transaction when arming many at once


@dataclass(frozen=True)
class Planned:
    """A plan's next occurrence, found: a new visit, a revived one, or the plan is over."""

    plan: Plan
    occurrence: date | None
    revive: Visit | None = None


async def calendar(uow: UnitOfWork) -> WorkCalendar:
    """The roster's working time, or 08:30-17:30 Monday to Friday."""
    policy = await uow.policy()
    return policy.calendar or WorkCalendar(uow.tz)


async def morning(uow: UnitOfWork) -> time:
    """When reminders go out: the start of working hours (08:30 unless the roster says)."""
    return (await calendar(uow)).start


async def not_before(uow: UnitOfWork, *, working_days: bool) -> datetime | None:
    """When a plan message may go out: reminders in the day's hours of any day, notices
    to secretaries and the committee in working time; None for at once."""
    cal = await calendar(uow)
    if working_days:
        when = cal.next_open(uow.now)
    else:
        when = during_day(uow.now, uow.tz, cal.start, cal.end)
    return when if when > uow.now else None


def today(uow: UnitOfWork) -> date:
    return uow.now.astimezone(uow.tz).date()


async def plan_next(uow: UnitOfWork, plans: list[Plan], after: dict[int, date]) -> list[Planned]:
    """Each plan's first occurrence after ``after[plan]`` (or from today) with no visit yet
    that counts: a visit cancelled by a pause is revived rather than duplicated."""
    start = today(uow)
    found = await pq.existing_visits(uow.conn, [p.id for p in plans], start)
    out = []
    for plan in plans:
        rule = Recurrence(plan.rule, plan.start)
        previous = after.get(plan.id)
        try:
            day = rule.next_after(previous) if previous else rule.next_on_or_after(start)
            if day is not None and day < start:
                day = rule.next_on_or_after(start)  # steps missed while down: from today
        except (RuleError, ValueError):
            day = None  # a rule stored before a check tightened: the plan is over
        revive = None
        while day is not None:
            existing = found.get((plan.id, day))
            if existing is None:
                break
            if existing.state is VisitState.CANCELLED:
                revive = existing
                break
            day = rule.next_after(day)
        out.append(Planned(plan, day, revive))
    return out


async def arm_visits(uow: UnitOfWork, planned: list[Planned]) -> int:
    """Write the visits and their steps; finish plans whose rule has no occurrence left."""
    at = await morning(uow)
    new = [p for p in planned if p.occurrence is not None and p.revive is None]
    rows = []
    for p in new:
        assert p.occurrence is not None
        times = visit_times(
            p.occurrence, p.plan.remind_days_before, p.plan.grace_period, uow.tz, at
        )
        rows.append(
            {
                "plan_id": p.plan.id,
                "occurrence": p.occurrence,
                "due_on": p.occurrence,
                "grace_until": times.grace_until,
                "state": VisitState.DUE.value,
                "escalation_level": 0,
                "created_at": uow.now,
                "updated_at": uow.now,
            }
        )
    ids = await plan_edits.insert_visits(uow.conn, rows)
    for p in planned:
        if p.occurrence is None:
            await _finish(uow, p.plan)
            continue
        if p.revive is not None:
            # A visit cancelled by a pause (or an import) comes back with the plan's grace
            # as it is now, and without repeating a reminder its day already had.
            visit_id = p.revive.id
            times = visit_times(
                p.occurrence, p.plan.remind_days_before, p.plan.grace_period, uow.tz, at
            )
            await plan_edits.update_visit(
                uow.conn,
                visit_id,
                state=VisitState.DUE.value,
                due_on=p.occurrence,
                grace_until=times.grace_until,
                updated_at=uow.now,
            )
            reminded = await pq.was_reminded_on_its_day(uow.conn, visit_id, at, uow.tz)
            await _arm_steps(uow, p.plan, visit_id, p.occurrence, at, quiet=reminded)
            continue
        await _arm_steps(uow, p.plan, ids[p.plan.id], p.occurrence, at)
    return len(planned)


async def _arm_steps(
    uow: UnitOfWork, plan: Plan, visit_id: int, day: date, at: time, *, quiet: bool = False
) -> None:
    times = visit_times(day, plan.remind_days_before, plan.grace_period, uow.tz, at)
    # A reminder ahead whose time has passed is skipped, not sent late; the day's own is
    # sent even late: a plan created at noon for today still tells its visitors.
    if times.remind_ahead is not None and times.remind_ahead > uow.now:
        await uow.arm(DeadlineKind.VISIT_AHEAD, times.remind_ahead, visit_id=visit_id)
    else:
        await arm_day(uow, visit_id, times.remind_day, quiet=quiet)


async def arm_day(
    uow: UnitOfWork, visit_id: int, remind_day: datetime, *, quiet: bool = False
) -> None:
    """Arm the visit's morning; ``quiet``: its reminder went out already."""
    data = {"quiet": True} if quiet else {}
    await uow.arm(DeadlineKind.VISIT_DAY, max(remind_day, uow.now), visit_id=visit_id, **data)


async def _finish(uow: UnitOfWork, plan: Plan) -> None:
    """The rule has no occurrence left (a one-off, an UNTIL passed): the plan ends itself;
    its last visit keeps its reminders and escalation."""
    if await plan_edits.move_plan(
        uow.conn, plan.id, PlanState.ACTIVE.value, PlanState.ENDED.value, uow.now
    ):
        await plan_event(uow, plan.id, "finished")


async def plan_event(
    uow: UnitOfWork,
    plan_id: int,
    type_: str,
    *,
    visit_id: int | None = None,
    actor_id: int | None = None,
    **data: object,
) -> None:
    """Append to the plan's timeline (never updated, never deleted)."""
    await plan_edits.log_plan_event(
        uow.conn,
        plan_id=plan_id,
        visit_id=visit_id,
        at=uow.now,
        type=type_,
        actor_id=actor_id,
        data=data,
    )
    uow.story("plan", plan_id, type_, visit=visit_id, to=data.get("to"))


async def ensure_armed(uow: UnitOfWork, *, limit: int = ARM_BATCH, after_id: int = 0) -> int:
    """Give up to ``limit`` active plans lacking one (after plan ``after_id``) their next
    visit; return the last plan id looked at, or 0 when there was none."""
    plans = await pq.unarmed_active_plans(uow.conn, limit, after_id)
    if not plans:
        return 0
    await arm_visits(uow, await plan_next(uow, plans, {}))
    return plans[-1].id


async def cancel_visits(uow: UnitOfWork, plan_id: int) -> None:
    """A pause or an end: what has not begun is cancelled (``cancel_upcoming``)."""
    await uow.flush_deadlines()
    await pq.cancel_upcoming(uow.conn, plan_id, uow.now)
