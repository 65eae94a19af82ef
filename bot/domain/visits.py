"""Care plans and their visits (DESIGN.md §5): states, when to remind, when to escalate.

Pure rules: the use cases in ``bot.usecases.plans`` load rows, ask these, and record what
they say. A plan keeps one upcoming visit at a time: when a visit's day begins, the next
occurrence becomes a visit with its own reminders, so a plan of any length costs a few rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from bot.domain.authz import Actor
from bot.domain.marker import N_
from bot.domain.refusal import DomainRefusal

DAY = timedelta(days=1)
NAME_LIMIT = 200  # the cared-for person's name, or a duty's title
NOTE_LIMIT = 500  # a plan's note (where, what for)
VISIT_NOTE_LIMIT = 2000  # what a visitor writes after a visit
PHOTO_LIMIT_BYTES = 5 * 1024 * 1024  # a visit photo is a record, not an album
# How far ahead a plan may start: a typo such as 9999-12-31 must be refused here, not
# overflow the date arithmetic of its recurrence later.
START_AHEAD = timedelta(days=2 * 366)
MAX_REMIND_DAYS = 30
MIN_GRACE = timedelta(hours=1)
MAX_GRACE = timedelta(days=31)
POSTPONE_CHOICES = 7  # date buttons offered at most


class PlanKind(StrEnum):
    CARE = "care"  # a colleague or relative in care, visited by members
    RECEPTION = "reception"  # the reception day: whoever is on duty that morning
    DEPARTMENT_VISIT = "department-visit"  # the committee's visit to a department


class PlanState(StrEnum):
    ACTIVE = "active"  # reminding and escalating
    PAUSED = "paused"  # no reminders; history kept; can be resumed
    ENDED = "ended"  # for good; history kept


class VisitState(StrEnum):
    DUE = "due"  # reminders go out; loggable
    DONE = "done"  # logged by a visitor
    MISSED = "missed"  # grace ran out unlogged: escalated, still loggable
    CANCELLED = "cancelled"  # the plan was paused or ended before it


class PlanAction(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"


_PLAN_MOVES = {
    (PlanState.ACTIVE, PlanAction.PAUSE): PlanState.PAUSED,
    (PlanState.PAUSED, PlanAction.RESUME): PlanState.ACTIVE,
    (PlanState.ACTIVE, PlanAction.END): PlanState.ENDED,
    (PlanState.PAUSED, PlanAction.END): PlanState.ENDED,
}


def plan_move(state: PlanState, action: PlanAction) -> PlanState | None:
    """Where ``action`` takes a plan in ``state``; None when it does not apply."""
    return _PLAN_MOVES.get((state, action))


def loggable(state: VisitState) -> bool:
    """A visit can be logged until it is done, even after its escalation."""
    return state in (VisitState.DUE, VisitState.MISSED)


@dataclass(frozen=True)
class VisitTimes:
    remind_ahead: datetime | None  # ``remind_days_before`` days ahead; None for 0 days
    remind_day: datetime  # the morning of the visit
    grace_until: datetime  # after this an unlogged visit is escalated


def visit_times(
    day: date, remind_days_before: int, grace: timedelta, tz: ZoneInfo, morning: time
) -> VisitTimes:
    """When a visit due on ``day`` (a local date) reminds and runs out of grace.

    Reminders go at ``morning`` (the start of working hours) local time; the grace period
    counts from the end of the visit's day, so "3d" means three whole days after it.
    """
    ahead = (
        datetime.combine(day - remind_days_before * DAY, morning, tz)
        if remind_days_before > 0
        else None
    )
    end_of_day = datetime.combine(day + DAY, time(0), tz)
    return VisitTimes(ahead, datetime.combine(day, morning, tz), end_of_day + grace)


def committee_after(grace: timedelta) -> timedelta:
    """How long after the secretary was told the committee is told: the grace again, at
    least a day, so a plan's slack is the same at each level."""
    return max(grace, DAY)


def postpone_dates(
    due_on: date, grace_until: datetime, today: date, tz: ZoneInfo, morning: time = time(0)
) -> list[date]:
    """The dates a visit can be moved to: after its current day and today, and whose
    morning reminder still comes before the end of grace."""
    first = max(due_on, today) + DAY
    out: list[date] = []
    day = first
    while datetime.combine(day, morning, tz) < grace_until and len(out) < POSTPONE_CHOICES:
        out.append(day)
        day += DAY
    return out


class PlanFieldError(DomainRefusal):
    """A plan field out of bounds."""


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise PlanFieldError(N_("Write who is cared for (a name)."))
    if len(cleaned) > NAME_LIMIT:
        raise PlanFieldError(N_("A name is at most {limit} characters."), limit=NAME_LIMIT)
    return cleaned


def check_note(note: str, limit: int = NOTE_LIMIT) -> str:
    cleaned = note.strip()
    if len(cleaned) > limit:
        raise PlanFieldError(
            N_("The note is {length} characters; at most {limit} fit."),
            length=len(cleaned),
            limit=limit,
        )
    return cleaned


def check_remind_days(days: int) -> int:
    if not 0 <= days <= MAX_REMIND_DAYS:
        raise PlanFieldError(
            N_("Remind 0 to {limit} days ahead, not {days}."), limit=MAX_REMIND_DAYS, days=days
        )
    return days


def check_grace(grace: timedelta) -> timedelta:
    if not MIN_GRACE <= grace <= MAX_GRACE:
        raise PlanFieldError(N_("A grace period is between 1h and 31d."))
    return grace


def check_notice(days: int, upcoming: list[date]) -> int:
    """A reminder ``days`` ahead must come after the visit before (the next visit is
    planned on the morning of the one before): refuse notice as long as the shortest gap
    between the plan's upcoming visits."""
    gaps = [(b - a).days for a, b in pairwise(upcoming)]
    if gaps and days >= min(gaps):
        raise PlanFieldError(
            N_(
                "Visits can be {gap} days apart, so a reminder {days} days ahead would come "
                "before the visit before it; remind at most {most} days ahead."
            ),
            gap=min(gaps),
            days=days,
            most=min(gaps) - 1,
        )
    return days


def fitting_notice(days: int, upcoming: list[date]) -> int:
    """A default notice shortened to fit a dense plan (a daily duty: on the day only)."""
    gaps = [(b - a).days for a, b in pairwise(upcoming)]
    return min(days, min(gaps) - 1) if gaps else days


def during_day(at: datetime, tz: ZoneInfo, opens: time, closes: time) -> datetime:
    """``at``, or the next ``opens`` when ``at`` is outside the day's hours: reminders of
    visits go out any day of the week (visits happen on Saturdays), but not at night."""
    local = at.astimezone(tz)
    if opens <= local.time() < closes:
        return at
    day = local.date() if local.time() < opens else local.date() + DAY
    return datetime.combine(day, opens, tz)


def check_start(start: date, today: date) -> date:
    if start < today:
        raise PlanFieldError(
            N_("{date} is in the past; pick today or a later date."), date=start.isoformat()
        )
    if start > today + START_AHEAD:
        raise PlanFieldError(
            N_("{date} is too far ahead; pick a date within two years."), date=start.isoformat()
        )
    return start


def check_photo(size: int | None) -> None:
    if size is not None and size > PHOTO_LIMIT_BYTES:
        raise PlanFieldError(
            N_("The photo is {size} MB; at most {limit} MB is kept."),
            size=round(size / 1024 / 1024, 1),
            limit=PHOTO_LIMIT_BYTES // 1024 // 1024,
        )


# Who may do what with a plan (checked on the server for every press and command).


def steers_plan(actor: Actor, branch_id: int) -> bool:
    """The branch secretary and the committee create, pause, end and reassign."""
    return actor.committee or branch_id in actor.secretary_of


def sees_plan(
    actor: Actor, branch_id: int, visitor_ids: tuple[int, ...], on_duty_plan: bool = False
) -> bool:
    """A plan's visitors see it, and so do those who steer it; a duty kept by the rota is
    seen by the whole branch. Other members do not see a plan at all."""
    if steers_plan(actor, branch_id) or (on_duty_plan and branch_id in actor.member_of):
        return True
    return actor.person_id is not None and actor.person_id in visitor_ids


def may_log(
    actor: Actor,
    branch_id: int,
    visitor_ids: tuple[int, ...],
    assignee_id: int | None,
    on_duty_plan: bool,
) -> bool:
    """Who may mark a visit done, postpone it or say they cannot go: its visitors (or the
    one it was given to), any member of the branch for a duty kept by the rota, and those
    who steer the plan."""
    if steers_plan(actor, branch_id):
        return True
    if actor.person_id is None:
        return False
    if assignee_id is not None and actor.person_id == assignee_id:
        return True
    if on_duty_plan and branch_id in actor.member_of:
        return True
    return actor.person_id in visitor_ids
