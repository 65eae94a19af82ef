"""Reads the use cases share: who someone is, what a request is, who to alert."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.authz import Actor
from bot.domain.escalation import Chain
from bot.domain.kinds import Category, Kind, Urgency
from bot.domain.lifecycle import State
from bot.domain.people import Person
from bot.domain.policy import Policy, PolicyError, policy_from
from bot.domain.requests import Request
from bot.domain.routing import Candidate
from storage.tables import (
    branch_departments,
    branch_members,
    branches,
    events,
    outbox,
    people,
    policies,
    requests,
    roles,
)

log = logging.getLogger(__name__)


def _person(row: Any) -> Person:
    return Person(
        id=row.id,
        key=row.key,
        name=row.name,
        telegram_id=row.telegram_id,
        department=row.department,
        handles=frozenset(row.handles or ()),
        family_of_id=row.family_of_id,
        unreachable=row.unreachable_since is not None,
        away_until=row.away_until,
        active=bool(row.active),
    )


def _request(row: Any) -> Request:
    return Request(
        id=row.id,
        kind=Kind(row.kind),
        category=Category(row.category) if row.category else None,
        urgency=Urgency(row.urgency),
        state=State(row.state),
        branch_id=row.branch_id,
        requester_id=row.requester_id,
        requester_chat_id=row.requester_chat_id,
        requester_name=row.requester_name,
        requester_department=row.requester_department,
        unregistered=row.unregistered,
        text=row.text,
        owner_id=row.owner_id,
        level=row.level,
        chain=Chain.from_json(row.chain),
        rating=row.rating,
        family_of_name=row.family_of_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def person_by_chat(conn: AsyncConnection, chat_id: int) -> Person | None:
    row = (
        await conn.execute(
            select(people).where(people.c.telegram_id == chat_id, people.c.active.is_(True))
        )
    ).first()
    return _person(row) if row else None


async def person_by_id(conn: AsyncConnection, person_id: int) -> Person | None:
    row = (await conn.execute(select(people).where(people.c.id == person_id))).first()
    return _person(row) if row else None


async def active_ids_by_key(conn: AsyncConnection, keys: list[str]) -> dict[str, int]:
    """Roster key -> person id, for the active people among ``keys``."""
    if not keys:
        return {}
    rows = await conn.execute(
        select(people.c.key, people.c.id).where(people.c.key.in_(keys), people.c.active.is_(True))
    )
    return {r.key: r.id for r in rows}


async def people_by_ids(conn: AsyncConnection, ids: list[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = await conn.execute(select(people).where(people.c.id.in_(ids)))
    return {r.id: _person(r) for r in rows}


async def load_actor(conn: AsyncConnection, chat_id: int, fallback_name: str = "") -> Actor:
    """Build the Actor behind a chat: who they are and which roles they hold."""
    person = await person_by_chat(conn, chat_id)
    if person is None:
        return Actor(chat_id=chat_id, name=fallback_name)
    member_of: Any = await conn.scalars(
        select(branch_members.c.branch_id)
        .join(branches, branches.c.id == branch_members.c.branch_id)
        .where(branch_members.c.person_id == person.id, branches.c.active.is_(True))
    )
    secretary_of: Any = await conn.scalars(
        select(branches.c.id).where(
            branches.c.secretary_id == person.id, branches.c.active.is_(True)
        )
    )
    held: set[str] = set(
        await conn.scalars(select(roles.c.role).where(roles.c.person_id == person.id))
    )
    return Actor(
        chat_id=chat_id,
        person_id=person.id,
        name=person.name,
        member_of=frozenset(member_of),
        secretary_of=frozenset(secretary_of),
        committee="committee" in held,
        supervisor="supervisor" in held,
        family=person.family_of_id is not None,
    )


async def load_request(conn: AsyncConnection, request_id: int) -> Request | None:
    row = (await conn.execute(select(requests).where(requests.c.id == request_id))).first()
    return _request(row) if row else None


async def insert_request(conn: AsyncConnection, **values: Any) -> Request:
    """Store a new request and return it as stored, in one statement (RETURNING)."""
    row = (await conn.execute(requests.insert().values(**values).returning(requests))).one()
    return _request(row)


async def rate_once(conn: AsyncConnection, request_id: int, stars: int, now: datetime) -> bool:
    """Record a rating unless one was given already; whether this one counted."""
    result = await conn.execute(
        update(requests)
        .where(requests.c.id == request_id, requests.c.rating.is_(None))
        .values(rating=stars, updated_at=now)
    )
    return result.rowcount == 1


async def set_details(conn: AsyncConnection, request_id: int, text: str, now: datetime) -> None:
    """The worker's first words after a bare /120 become the request's details."""
    await conn.execute(
        update(requests).where(requests.c.id == request_id).values(text=text, updated_at=now)
    )


async def timeline(conn: AsyncConnection, request_id: int) -> list[Any]:
    """A request's events, in the order they happened."""
    rows = await conn.execute(
        select(events).where(events.c.request_id == request_id).order_by(events.c.id)
    )
    return list(rows.all())


async def set_state_if(
    conn: AsyncConnection, request_id: int, expected: str, now: datetime, **values: Any
) -> bool:
    """Change a request only if it is still in ``expected`` state (first writer wins)."""
    result = await conn.execute(
        update(requests)
        .where(requests.c.id == request_id, requests.c.state == expected)
        .values(updated_at=now, **values)
    )
    return result.rowcount == 1


async def kinds_of(conn: AsyncConnection, ids: Collection[int]) -> dict[int, str]:
    """Request id -> its kind (120, 110, service)."""
    rows = await conn.execute(select(requests.c.id, requests.c.kind).where(requests.c.id.in_(ids)))
    return {int(r.id): str(r.kind) for r in rows}


async def set_level(conn: AsyncConnection, request_id: int, level: int) -> None:
    """Where in its chain a request now is (without touching its state)."""
    await conn.execute(requests.update().where(requests.c.id == request_id).values(level=level))


async def requests_by_ids(conn: AsyncConnection, ids: list[int]) -> dict[int, Request]:
    if not ids:
        return {}
    rows = await conn.execute(select(requests).where(requests.c.id.in_(ids)))
    return {r.id: _request(r) for r in rows}


async def requests_where(
    conn: AsyncConnection,
    *,
    states: Sequence[State] | None = None,
    requester_chat_id: int | None = None,
    owner_id: int | None = None,
    branch_ids: Collection[int] | None = None,
    limit: int = 20,
) -> list[Request]:
    """Requests matching every filter given, newest first."""
    conditions: list[Any] = []
    if states is not None:
        conditions.append(requests.c.state.in_([s.value for s in states]))
    if requester_chat_id is not None:
        conditions.append(requests.c.requester_chat_id == requester_chat_id)
    if owner_id is not None:
        conditions.append(requests.c.owner_id == owner_id)
    if branch_ids is not None:
        conditions.append(requests.c.branch_id.in_(branch_ids))
    rows = await conn.execute(
        select(requests).where(and_(*conditions)).order_by(requests.c.id.desc()).limit(limit)
    )
    return [_request(r) for r in rows]


async def raised_since(conn: AsyncConnection, chat_id: int, since: datetime) -> int:
    """How many requests ``chat_id`` raised from ``since`` on (its request budget)."""
    found = await conn.scalar(
        select(func.count())
        .select_from(requests)
        .where(requests.c.requester_chat_id == chat_id, requests.c.created_at >= since)
    )
    return int(found or 0)


async def request_to_join(
    conn: AsyncConnection, chat_id: int, kind: str, states: list[str], update_id: int | None
) -> tuple[Request, bool] | None:
    """The request ``update_id`` raised already (True), else the chat's newest request of
    ``kind`` in ``states`` (False), else None - in one read, inside the write lock."""
    joinable = and_(
        requests.c.requester_chat_id == chat_id,
        requests.c.kind == kind,
        requests.c.state.in_(states),
    )
    query = select(requests).order_by(requests.c.id.desc()).limit(1)
    if update_id is None:
        row = (await conn.execute(query.where(joinable))).first()
        return (_request(row), False) if row else None
    same = requests.c.source_update_id == update_id
    row = (
        await conn.execute(
            query.where(or_(same, joinable))
            .order_by(None)
            .order_by(func.coalesce(same, False).desc(), requests.c.id.desc())
        )
    ).first()
    return (_request(row), row.source_update_id == update_id) if row else None


async def branch_of_person(conn: AsyncConnection, person: Person) -> int | None:
    """The branch a person's requests belong to: their department's, else the one they serve.

    A family member's requests go to the branch of the employee they belong to.
    """
    if person.family_of_id is not None and person.department is None:
        employee = await person_by_id(conn, person.family_of_id)
        if employee is not None and employee.family_of_id is None:
            return await branch_of_person(conn, employee)
    if person.department:
        found = await conn.scalar(
            select(branch_departments.c.branch_id)
            .join(branches, branches.c.id == branch_departments.c.branch_id)
            .where(
                branch_departments.c.department == person.department,
                branches.c.active.is_(True),
            )
        )
        if found is not None:
            return int(found)
    served = await conn.scalar(
        select(branch_members.c.branch_id).where(branch_members.c.person_id == person.id)
    )
    if served is None:
        served = await conn.scalar(
            select(branches.c.id).where(branches.c.secretary_id == person.id)
        )
    return int(served) if served is not None else None


async def branch_members_as_candidates(
    conn: AsyncConnection, branch_id: int, now: datetime
) -> list[Candidate]:
    rows = await conn.execute(
        select(people, branch_members.c.position)
        .join(branch_members, branch_members.c.person_id == people.c.id)
        .where(branch_members.c.branch_id == branch_id, people.c.active.is_(True))
    )
    return [
        Candidate(
            person_id=r.id,
            position=r.position,
            handles=frozenset(r.handles or ()),
            reachable=r.telegram_id is not None and r.unreachable_since is None,
            away=r.away_until is not None and r.away_until > now,
        )
        for r in rows
    ]


async def secretary_of_branch(conn: AsyncConnection, branch_id: int) -> int | None:
    found = await conn.scalar(select(branches.c.secretary_id).where(branches.c.id == branch_id))
    return int(found) if found is not None else None


async def committee_ids(conn: AsyncConnection) -> list[int]:
    rows: Any = await conn.scalars(
        select(roles.c.person_id)
        .join(people, people.c.id == roles.c.person_id)
        .where(roles.c.role == "committee", people.c.active.is_(True))
    )
    return list(rows)


async def policy(conn: AsyncConnection, key: str) -> Any:
    return await conn.scalar(select(policies.c.value).where(policies.c.key == key))


async def load_policy(conn: AsyncConnection, tz: ZoneInfo) -> Policy:
    """The timing policy the roster set (validated at import; defaults otherwise)."""
    escalation = await policy(conn, "escalation")
    extras = await policy(conn, "extras")
    try:
        return policy_from(escalation, extras, tz)
    except PolicyError:
        log.exception("stored policy is invalid; using the defaults")
        return Policy()


async def request_of_message(conn: AsyncConnection, chat_id: int, message_id: int) -> int | None:
    """Which request a bot message in this chat belongs to (for routing replies)."""
    found = await conn.scalar(
        select(outbox.c.request_id).where(
            outbox.c.chat_id == chat_id, outbox.c.message_id == message_id
        )
    )
    return int(found) if found is not None else None


async def count_pending_outbox(conn: AsyncConnection, request_id: int) -> int:
    return int(
        await conn.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.request_id == request_id, outbox.c.status == "pending")
        )
        or 0
    )
