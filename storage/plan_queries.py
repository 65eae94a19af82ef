"""Reads of care plans, their visits, visitors and the duty rota."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.durations import parse_duration
from bot.domain.rota import Shift
from bot.domain.visits import PlanKind, PlanState, VisitState
from storage.tables import (
    branch_members,
    branches,
    care_plan_visitors,
    care_plans,
    deadlines,
    duty_shifts,
    plan_events,
    visits,
)

# The steps that carry a plan forward, one pending at a time: ``visit-ahead`` (remind N days
# before, then arm the day) and ``visit-day`` (its morning: remind, arm the end of grace,
# make the plan's next occurrence a visit). An active plan with neither pending is unarmed.
# The steps that carry a visit until its day: a plan with neither pending is unarmed.
CHAIN = (DeadlineKind.VISIT_AHEAD, DeadlineKind.VISIT_DAY)


@dataclass(frozen=True)
class Plan:
    id: int
    key: str
    branch_id: int
    kind: PlanKind
    cared_for: str
    note: str
    rule: str
    start: date
    remind_days_before: int
    grace: str
    state: PlanState
    remind_on_duty: bool
    visitor_ids: tuple[int, ...] = ()

    @property
    def grace_period(self) -> timedelta:
        return parse_duration(self.grace)


@dataclass(frozen=True)
class Visit:
    id: int
    plan_id: int
    occurrence: date
    due_on: date
    grace_until: datetime
    state: VisitState
    visitor_id: int | None
    assignee_id: int | None
    done_at: datetime | None
    note: str | None
    escalation_level: int


def _plan(row: Any, visitor_ids: tuple[int, ...] = ()) -> Plan:
    return Plan(
        id=row.id,
        key=row.key,
        branch_id=row.branch_id,
        kind=PlanKind(row.kind),
        cared_for=row.cared_for,
        note=row.note or "",
        rule=row.rule,
        start=row.start,
        remind_days_before=row.remind_days_before,
        grace=row.grace,
        state=PlanState(row.state),
        remind_on_duty=bool(row.remind_on_duty),
        visitor_ids=visitor_ids,
    )


def _visit(row: Any) -> Visit:
    return Visit(
        id=row.id,
        plan_id=row.plan_id,
        occurrence=row.occurrence,
        due_on=row.due_on,
        grace_until=row.grace_until,
        state=VisitState(row.state),
        visitor_id=row.visitor_id,
        assignee_id=row.assignee_id,
        done_at=row.done_at,
        note=row.note,
        escalation_level=row.escalation_level,
    )


async def visitors_of(conn: AsyncConnection, plan_ids: list[int]) -> dict[int, tuple[int, ...]]:
    if not plan_ids:
        return {}
    rows = await conn.execute(
        select(care_plan_visitors.c.plan_id, care_plan_visitors.c.person_id)
        .where(care_plan_visitors.c.plan_id.in_(plan_ids))
        .order_by(care_plan_visitors.c.plan_id, care_plan_visitors.c.position)
    )
    out: dict[int, list[int]] = {}
    for row in rows:
        out.setdefault(row.plan_id, []).append(row.person_id)
    return {k: tuple(v) for k, v in out.items()}


async def plans_by_ids(conn: AsyncConnection, ids: list[int]) -> dict[int, Plan]:
    if not ids:
        return {}
    rows = (await conn.execute(select(care_plans).where(care_plans.c.id.in_(ids)))).all()
    seen = await visitors_of(conn, [r.id for r in rows])
    return {r.id: _plan(r, seen.get(r.id, ())) for r in rows}


async def plan_by_key(conn: AsyncConnection, key: str) -> Plan | None:
    row = (await conn.execute(select(care_plans).where(care_plans.c.key == key))).first()
    if row is None:
        return None
    return _plan(row, (await visitors_of(conn, [row.id])).get(row.id, ()))


async def visits_by_ids(conn: AsyncConnection, ids: list[int]) -> dict[int, Visit]:
    if not ids:
        return {}
    rows = await conn.execute(select(visits).where(visits.c.id.in_(ids)))
    return {r.id: _visit(r) for r in rows}


async def visit_by_id(conn: AsyncConnection, visit_id: int) -> Visit | None:
    return (await visits_by_ids(conn, [visit_id])).get(visit_id)


async def unarmed_active_plans(conn: AsyncConnection, limit: int, after_id: int = 0) -> list[Plan]:
    """Active plans after ``after_id`` with no pending step of their chain: new, resumed,
    or changed by an import. The cursor keeps a long arming run linear. Visitors are not
    loaded: arming does not need them."""
    # Through the plan's own visits (ix_visits_plan, then ix_deadlines_visit): without
    # statistics SQLite would otherwise scan every pending deadline once per plan.
    plan_visits = (
        select(visits.c.id).where(visits.c.plan_id == care_plans.c.id).correlate(care_plans)
    )
    armed = exists().where(
        deadlines.c.visit_id.in_(plan_visits),
        deadlines.c.kind.in_(CHAIN),
        deadlines.c.status == "pending",
    )
    rows = (
        await conn.execute(
            select(care_plans)
            .where(care_plans.c.state == PlanState.ACTIVE.value, care_plans.c.id > after_id, ~armed)
            .order_by(care_plans.c.id)
            .limit(limit)
        )
    ).all()
    return [_plan(r) for r in rows]


async def existing_visits(
    conn: AsyncConnection, plan_ids: list[int], from_day: date
) -> dict[tuple[int, date], Visit]:
    """The visits of these plans on or after ``from_day``, by (plan, occurrence)."""
    if not plan_ids:
        return {}
    rows = await conn.execute(
        select(visits).where(visits.c.plan_id.in_(plan_ids), visits.c.occurrence >= from_day)
    )
    return {(r.plan_id, r.occurrence): _visit(r) for r in rows}


async def declined_by(conn: AsyncConnection, visit_id: int) -> set[int]:
    """Who said they cannot go to this visit."""
    found: Any = await conn.scalars(
        select(plan_events.c.actor_id).where(
            plan_events.c.visit_id == visit_id, plan_events.c.type == "declined"
        )
    )
    return {int(a) for a in found if a is not None}


async def branch_shifts(conn: AsyncConnection, branch_id: int) -> list[Shift]:
    rows = await conn.execute(select(duty_shifts).where(duty_shifts.c.branch_id == branch_id))
    return [shift_of(r) for r in rows]


def shift_of(row: Any) -> Shift:
    ends = None if row.ends in ("24:00", "") else time.fromisoformat(row.ends)
    return Shift(row.person_id, row.rule, row.start, time.fromisoformat(row.begins), ends)


async def branch_people(conn: AsyncConnection, branch_id: int) -> list[int]:
    """The branch's members in routing order, then its secretary."""
    members = list(
        await conn.scalars(
            select(branch_members.c.person_id)
            .where(branch_members.c.branch_id == branch_id)
            .order_by(branch_members.c.position)
        )
    )
    secretary = await conn.scalar(select(branches.c.secretary_id).where(branches.c.id == branch_id))
    if secretary is not None and secretary not in members:
        members.append(int(secretary))
    return [int(m) for m in members]


_OPEN = (VisitState.DUE.value, VisitState.MISSED.value)


def _current() -> Any:
    """A plan worth listing: not ended, or ended with a visit still owed (a one-off plan
    ends itself when its last visit is planned; that visit is still to be logged)."""
    owed = exists().where(visits.c.plan_id == care_plans.c.id, visits.c.state.in_(_OPEN))
    return (care_plans.c.state != PlanState.ENDED.value) | owed


async def _plans_where(conn: AsyncConnection, *conditions: Any) -> list[Plan]:
    rows = (
        await conn.execute(
            select(care_plans).where(_current(), *conditions).order_by(care_plans.c.key)
        )
    ).all()
    seen = await visitors_of(conn, [r.id for r in rows])
    return [_plan(r, seen.get(r.id, ())) for r in rows]


async def plans_of_branches(conn: AsyncConnection, branch_ids: frozenset[int]) -> list[Plan]:
    """Plans of these branches, by key."""
    return await _plans_where(conn, care_plans.c.branch_id.in_(branch_ids))


async def plans_of_reader(
    conn: AsyncConnection, person_id: int, member_of: frozenset[int]
) -> list[Plan]:
    """The plans a member has a part in: they visit it, a visit was given to them, or it
    is a duty of their branch kept by the rota (they may be the one on duty)."""
    visitor = exists().where(
        care_plan_visitors.c.plan_id == care_plans.c.id,
        care_plan_visitors.c.person_id == person_id,
    )
    given = exists().where(
        visits.c.plan_id == care_plans.c.id,
        visits.c.assignee_id == person_id,
        visits.c.state.in_(_OPEN),
    )
    on_duty = care_plans.c.remind_on_duty.is_(True) & care_plans.c.branch_id.in_(member_of)
    return await _plans_where(conn, visitor | given | on_duty)


async def given_to(conn: AsyncConnection, plan_id: int, person_id: int) -> bool:
    """Is one of the plan's open visits given to this person?"""
    found = await conn.scalar(
        select(visits.c.id).where(
            visits.c.plan_id == plan_id,
            visits.c.assignee_id == person_id,
            visits.c.state.in_(_OPEN),
        )
    )
    return found is not None


async def visits_of_plans(
    conn: AsyncConnection, plan_ids: list[int], *, since: date, limit: int = 200
) -> list[Visit]:
    """Open visits (due, missed) of any date, and others from ``since`` on."""
    if not plan_ids:
        return []
    rows = await conn.execute(
        select(visits)
        .where(
            visits.c.plan_id.in_(plan_ids),
            visits.c.state != VisitState.CANCELLED.value,
            (visits.c.state.in_((VisitState.DUE.value, VisitState.MISSED.value)))
            | (visits.c.due_on >= since),
        )
        .order_by(visits.c.due_on, visits.c.id)
        .limit(limit)
    )
    return [_visit(r) for r in rows]


async def plan_history(conn: AsyncConnection, plan_id: int, limit: int = 40) -> list[Any]:
    """The plan's latest timeline events, oldest first."""
    rows = (
        await conn.execute(
            select(plan_events)
            .where(plan_events.c.plan_id == plan_id)
            .order_by(plan_events.c.id.desc())
            .limit(limit)
        )
    ).all()
    return list(reversed(rows))


async def cancel_upcoming(conn: AsyncConnection, plan_id: int, now: datetime) -> int:
    """Cancel what of a plan has not begun yet; return how many visits that was.

    A visit whose chain step (``visit-ahead``/``visit-day``) is still pending has not had
    its day: it is cancelled with every pending step. A logged visit's pending chain step
    goes too (it would plan a further visit). Visits that have begun - reminded on their
    day, in grace, missed - stay as they are, with their grace and escalation: what was
    due before a pause, an end or an import's change is still owed. Used by /pause,
    /endplan and the roster import alike.
    """
    chained = exists().where(
        deadlines.c.visit_id == visits.c.id,
        deadlines.c.kind.in_(CHAIN),
        deadlines.c.status == "pending",
    )
    found = (
        await conn.execute(
            select(visits.c.id, visits.c.state).where(visits.c.plan_id == plan_id, chained)
        )
    ).all()
    if not found:
        return 0
    await conn.execute(
        update(deadlines)
        .where(deadlines.c.visit_id.in_([r.id for r in found]), deadlines.c.status == "pending")
        .values(status="cancelled", fired_at=now)
    )
    due = [r.id for r in found if r.state == VisitState.DUE.value]
    if due:
        await conn.execute(
            update(visits)
            .where(visits.c.id.in_(due))
            .values(state=VisitState.CANCELLED.value, updated_at=now)
        )
    return len(due)


async def was_reminded_on_its_day(
    conn: AsyncConnection, visit_id: int, morning: time, tz: Any
) -> bool:
    """Did the visit's own day already remind its visitors (before a pause, say)?"""
    found = (
        await conn.execute(
            select(plan_events.c.at, visits.c.occurrence)
            .join(visits, visits.c.id == plan_events.c.visit_id)
            .where(plan_events.c.visit_id == visit_id, plan_events.c.type == "reminded")
        )
    ).all()
    return any(r.at >= datetime.combine(r.occurrence, morning, tz) for r in found)
