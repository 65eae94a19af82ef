"""Care plans and visits changed by the bot (``bot/usecases/care_plans/``): plans created
from the phone and moved between states, visits planned, done, moved, given to someone,
the duty table edited, and the plans' timeline. The roster file's import is
``plan_store.py``; both write the same tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import (
    branches,
    care_plan_visitors,
    care_plans,
    duty_shifts,
    plan_events,
    visits,
)


async def branch_key(conn: AsyncConnection, branch_id: int) -> str | None:
    found = await conn.scalar(select(branches.c.key).where(branches.c.id == branch_id))
    return str(found) if found is not None else None


async def branch_name(conn: AsyncConnection, branch_id: int) -> str | None:
    found = await conn.scalar(select(branches.c.name).where(branches.c.id == branch_id))
    return str(found) if found is not None else None


async def plan_count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(care_plans)) or 0)


async def plan_key_taken(conn: AsyncConnection, key: str) -> bool:
    return await conn.scalar(select(care_plans.c.id).where(care_plans.c.key == key)) is not None


async def insert_plan(conn: AsyncConnection, visitor_ids: Sequence[int], **values: Any) -> int:
    """A new plan and its visitors, in the order given; the plan's id."""
    plan_id = int(
        (
            await conn.execute(insert(care_plans).values(**values).returning(care_plans.c.id))
        ).scalar_one()
    )
    await conn.execute(
        insert(care_plan_visitors),
        [
            {"plan_id": plan_id, "person_id": pid, "position": i}
            for i, pid in enumerate(dict.fromkeys(visitor_ids))
        ],
    )
    return plan_id


async def move_plan(
    conn: AsyncConnection, plan_id: int, expected: str, target: str, now: datetime
) -> bool:
    """A plan from state ``expected`` to ``target``, if it is still in ``expected``."""
    moved = await conn.execute(
        update(care_plans)
        .where(care_plans.c.id == plan_id, care_plans.c.state == expected)
        .values(state=target, updated_at=now)
    )
    return moved.rowcount == 1


async def set_duty(
    conn: AsyncConnection,
    branch_id: int,
    rule: str,
    person_ids: Sequence[int],
    **shift: Any,
) -> None:
    """The branch's duty under ``rule`` is now ``person_ids`` (none: nobody)."""
    await conn.execute(
        delete(duty_shifts).where(duty_shifts.c.branch_id == branch_id, duty_shifts.c.rule == rule)
    )
    if person_ids:
        await conn.execute(
            insert(duty_shifts),
            [
                {"branch_id": branch_id, "person_id": pid, "rule": rule, **shift}
                for pid in dict.fromkeys(person_ids)
            ],
        )


async def insert_visits(conn: AsyncConnection, rows: list[dict[str, Any]]) -> dict[int, int]:
    """New visits, at most one per plan; plan id -> its new visit's id."""
    if not rows:
        return {}
    result = await conn.execute(insert(visits).returning(visits.c.id, visits.c.plan_id), rows)
    return {int(r.plan_id): int(r.id) for r in result}


async def update_visit(
    conn: AsyncConnection, visit_id: int, *, expected: str | None = None, **values: Any
) -> bool:
    """Change a visit (only if its state is still ``expected``, when given); whether it
    changed."""
    stmt = update(visits).where(visits.c.id == visit_id)
    if expected is not None:
        stmt = stmt.where(visits.c.state == expected)
    moved = await conn.execute(stmt.values(**values))
    return moved.rowcount == 1


async def log_plan_event(conn: AsyncConnection, **row: Any) -> None:
    """One line of a plan's timeline (never updated, never deleted)."""
    await conn.execute(insert(plan_events).values(**row))
