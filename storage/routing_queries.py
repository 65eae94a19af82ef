"""Who is alerted, as the database keeps it: whose turn it is in a branch's rotation,
which secretaries stand over a member, who could not be reached, and where in its chain
each request now is (``bot/usecases/escalation/``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import branch_members, branches, people, requests, rotation


async def set_levels(conn: AsyncConnection, levels: dict[int, int], now: datetime) -> None:
    """Where in their chains these requests now are (request id -> level), in one go."""
    if not levels:
        return
    await conn.execute(
        update(requests)
        .where(requests.c.id == bindparam("rid"))
        .values(level=bindparam("new_level"), updated_at=now),
        [{"rid": rid, "new_level": level} for rid, level in levels.items()],
    )


async def mark_unreachable(conn: AsyncConnection, person_id: int, now: datetime) -> bool:
    """A person whose alerts fail; whether they were reachable until now."""
    marked = await conn.execute(
        update(people)
        .where(people.c.id == person_id, people.c.unreachable_since.is_(None))
        .values(unreachable_since=now)
    )
    return marked.rowcount == 1


async def secretaries_over(conn: AsyncConnection, person_id: int) -> list[tuple[int, int | None]]:
    """(id, chat) of the secretaries of the branches the person is a member of."""
    rows = await conn.execute(
        select(people.c.id, people.c.telegram_id)
        .join(branches, branches.c.secretary_id == people.c.id)
        .join(branch_members, branch_members.c.branch_id == branches.c.id)
        .where(branch_members.c.person_id == person_id, people.c.id != person_id)
        .distinct()
    )
    return [(int(r.id), r.telegram_id) for r in rows]


async def secretaries_of(conn: AsyncConnection, branch_ids: Collection[int]) -> dict[int, int]:
    """Branch id -> its secretary's person id."""
    if not branch_ids:
        return {}
    rows = await conn.execute(
        select(branches.c.id, branches.c.secretary_id).where(branches.c.id.in_(branch_ids))
    )
    return {int(r.id): int(r.secretary_id) for r in rows if r.secretary_id is not None}


async def last_turn(conn: AsyncConnection, branch_id: int, topic: str) -> int | None:
    """Who of the branch was given the last request of ``topic`` in turn."""
    found: int | None = await conn.scalar(
        select(rotation.c.last_person_id).where(
            rotation.c.branch_id == branch_id, rotation.c.topic == topic
        )
    )
    return found


async def remember_turn(
    conn: AsyncConnection, branch_id: int, topic: str, person_id: int, *, known: bool
) -> None:
    """``person_id`` had this turn (``known``: the branch's topic had a turn before)."""
    if known:
        await conn.execute(
            update(rotation)
            .where(rotation.c.branch_id == branch_id, rotation.c.topic == topic)
            .values(last_person_id=person_id)
        )
    else:
        await conn.execute(
            rotation.insert().values(branch_id=branch_id, topic=topic, last_person_id=person_id)
        )
