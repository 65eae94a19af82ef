"""Reads for the secretary's desk: the board, the unreachable members, the digest's facts.

Each read takes a handful of queries whatever the number of requests, so a committee's
company-wide board costs the same as one branch's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.lifecycle import ACTIVE_STATES, State
from bot.domain.requests import Request
from storage.queries import _request
from storage.tables import (
    branch_departments,
    branch_members,
    branches,
    care_plans,
    deadlines,
    events,
    people,
    requests,
    visits,
)

# Timeline events that mean a deadline of the request was already chased.
CHASED = ("overdue", "unconfirmed")


@dataclass(frozen=True)
class BoardRow:
    request: Request
    owner: str | None
    next_due: datetime | None
    next_kind: str | None
    undeliverable: list[str]
    overdue: bool


@dataclass(frozen=True)
class Branch:
    id: int
    name: str
    secretary_id: int


@dataclass
class Summary:
    """A branch's requests that are not closed, by state."""

    open: int = 0
    taken: int = 0
    resolved: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class Unreachable:
    person_id: int
    name: str
    since: datetime
    branch_id: int


@dataclass
class VisitsDue:
    due: list[tuple[str, date]] = field(default_factory=list)  # (cared for, due on)
    missed: list[tuple[str, date]] = field(default_factory=list)


async def active_branches(conn: AsyncConnection, ids: frozenset[int] | None = None) -> list[Branch]:
    query = select(branches.c.id, branches.c.name, branches.c.secretary_id).where(
        branches.c.active.is_(True)
    )
    if ids is not None:
        query = query.where(branches.c.id.in_(ids))
    rows = await conn.execute(query.order_by(branches.c.id))
    return [Branch(r.id, r.name, r.secretary_id) for r in rows]


async def board_rows(
    conn: AsyncConnection, branch_ids: list[int], *, unbranched: bool = False
) -> list[BoardRow]:
    """Every request of these branches that is not closed, with what the board shows;
    ``unbranched``: also those of senders no branch serves (the committee's)."""
    active = [s.value for s in ACTIVE_STATES]
    where: ColumnElement[bool] = requests.c.branch_id.in_(branch_ids)
    if unbranched:
        where = or_(where, requests.c.branch_id.is_(None))
    found = [
        _request(r)
        for r in await conn.execute(select(requests).where(where, requests.c.state.in_(active)))
    ]
    ids = [r.id for r in found]
    if not ids:
        return []
    owners = {
        r.id: r.name
        for r in await conn.execute(
            select(people.c.id, people.c.name).where(
                people.c.id.in_({r.owner_id for r in found if r.owner_id is not None})
            )
        )
    }
    next_due: dict[int, tuple[datetime, str]] = {}
    for row in await conn.execute(
        select(deadlines.c.request_id, deadlines.c.due_at, deadlines.c.kind)
        .where(deadlines.c.request_id.in_(ids), deadlines.c.status == "pending")
        .order_by(deadlines.c.due_at)
    ):
        next_due.setdefault(row.request_id, (row.due_at, row.kind))
    # Whom an alert of the request could not reach, as the timeline says it (Telegram
    # refused it for good, or the person has no account); the owner is reached, whatever
    # an earlier alert met.
    refused: dict[int, set[int]] = defaultdict(set)
    for row in await conn.execute(
        select(events.c.request_id, events.c.data).where(
            events.c.request_id.in_(ids), events.c.type == "undeliverable"
        )
    ):
        data = row.data if isinstance(row.data, dict) else {}
        if isinstance(data.get("to"), int):
            refused[row.request_id].add(data["to"])
    owner_of = {r.id: r.owner_id for r in found}
    named = {
        r.id: r.name
        for r in await conn.execute(
            select(people.c.id, people.c.name).where(
                people.c.id.in_({p for ps in refused.values() for p in ps})
            )
        )
    }
    stuck = {
        number: [named[p] for p in ps if p in named and p != owner_of.get(number)]
        for number, ps in refused.items()
    }
    chased: set[int] = set(
        await conn.scalars(
            select(events.c.request_id)
            .where(events.c.request_id.in_(ids), events.c.type.in_(CHASED))
            .distinct()
        )
    )
    return [
        BoardRow(
            request=r,
            owner=owners.get(r.owner_id) if r.owner_id is not None else None,
            next_due=next_due[r.id][0] if r.id in next_due else None,
            next_kind=next_due[r.id][1] if r.id in next_due else None,
            undeliverable=sorted(stuck.get(r.id, [])),
            overdue=r.level > 0 or r.id in chased,
        )
        for r in found
    ]


def summarise(rows: list[BoardRow]) -> dict[int | None, Summary]:
    """Counts per branch (None: senders no branch serves)."""
    out: dict[int | None, Summary] = defaultdict(Summary)
    for row in rows:
        summary = out[row.request.branch_id]
        setattr(summary, row.request.state.value, getattr(summary, row.request.state.value) + 1)
        summary.overdue += row.overdue
    return out


async def unreachable_members(conn: AsyncConnection, branch_ids: list[int]) -> list[Unreachable]:
    """Members and secretaries of these branches whose alerts fail."""
    serving = select(
        branch_members.c.person_id.label("pid"), branch_members.c.branch_id.label("bid")
    )
    secretaries = select(branches.c.secretary_id.label("pid"), branches.c.id.label("bid"))
    both = serving.union(secretaries).subquery()
    rows = await conn.execute(
        select(people.c.id, people.c.name, people.c.unreachable_since, func.min(both.c.bid))
        .join(both, both.c.pid == people.c.id)
        .where(
            both.c.bid.in_(branch_ids),
            people.c.active.is_(True),
            people.c.unreachable_since.is_not(None),
        )
        .group_by(people.c.id, people.c.name, people.c.unreachable_since)
        .order_by(people.c.unreachable_since)
    )
    return [Unreachable(r[0], r[1], r[2], r[3]) for r in rows]


async def visits_due(
    conn: AsyncConnection, branch_ids: list[int], today: date
) -> dict[int, VisitsDue]:
    """Per branch: active plans' visits due today or earlier, and missed ones."""
    rows = await conn.execute(
        select(care_plans.c.branch_id, care_plans.c.cared_for, visits.c.due_on, visits.c.state)
        .join(care_plans, care_plans.c.id == visits.c.plan_id)
        .where(
            care_plans.c.branch_id.in_(branch_ids),
            care_plans.c.state == "active",
            or_(
                and_(visits.c.state == "due", visits.c.due_on <= today),
                visits.c.state == "missed",
            ),
        )
        .order_by(visits.c.due_on)
    )
    out: dict[int, VisitsDue] = defaultdict(VisitsDue)
    for row in rows:
        bucket = out[row.branch_id].due if row.state == "due" else out[row.branch_id].missed
        bucket.append((row.cared_for, row.due_on))
    return out


def person_branches_query(person_id: int) -> Any:
    """The branches a person serves, leads, or works in (by department)."""
    return (
        select(branch_members.c.branch_id.label("bid")).where(
            branch_members.c.person_id == person_id
        )
    ).union(
        select(branches.c.id.label("bid")).where(branches.c.secretary_id == person_id),
        select(branch_departments.c.branch_id.label("bid"))
        .join(people, people.c.department == branch_departments.c.department)
        .where(people.c.id == person_id),
    )


async def person_branches(conn: AsyncConnection, person_id: int) -> frozenset[int]:
    """The branches a person belongs to; a family member belongs to their employee's."""
    family_of = await conn.scalar(select(people.c.family_of_id).where(people.c.id == person_id))
    subject = int(family_of) if family_of is not None else person_id
    return frozenset(int(b) for b in await conn.scalars(person_branches_query(subject)))


async def active_members(conn: AsyncConnection, branch_id: int) -> list[int]:
    """The branch's members still on the roster, in routing order."""
    found: Any = await conn.scalars(
        select(branch_members.c.person_id)
        .join(people, people.c.id == branch_members.c.person_id)
        .where(branch_members.c.branch_id == branch_id, people.c.active.is_(True))
        .order_by(branch_members.c.position)
    )
    return [int(i) for i in found]


async def branch_ids(conn: AsyncConnection) -> frozenset[int]:
    """Every branch, active or not (the committee reads them all)."""
    found: Any = await conn.scalars(select(branches.c.id))
    return frozenset(int(i) for i in found)


async def reassign(
    conn: AsyncConnection,
    req: Request,
    target_id: int,
    now: datetime,
) -> bool:
    """Give the request to ``target_id`` if it is still as ``req`` was loaded (state and
    owner); whether it was."""
    done = await conn.execute(
        requests.update()
        .where(requests.c.id == req.id, requests.c.state == req.state.value)
        .where(
            requests.c.owner_id.is_(None)
            if req.owner_id is None
            else requests.c.owner_id == req.owner_id
        )
        .values(state=State.TAKEN.value, owner_id=target_id, updated_at=now)
    )
    return done.rowcount == 1
